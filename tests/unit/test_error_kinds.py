"""A timed-out wait and a failed command are told apart from other errors, and keep what they know."""
import subprocess
import sys

import pytest

from dockyard.errors import CommandFailed, DockyardError, WaitTimedOut
from dockyard.waits import wait_until


def test_a_wait_past_its_deadline_is_a_timeout_and_still_a_dockyard_error():
    with pytest.raises(WaitTimedOut) as caught:
        wait_until(lambda: None, timeout=0.05, interval=0.01, what="nothing")
    assert isinstance(caught.value, DockyardError)
    assert str(caught.value).startswith("waited 0s for nothing")


def test_a_probe_that_raises_a_dockyard_error_is_not_a_timeout_until_the_deadline():
    def probe():
        raise DockyardError("not yet")
    with pytest.raises(WaitTimedOut, match="last error: not yet"):
        wait_until(probe, timeout=0.05, interval=0.01)


def test_a_failed_command_keeps_its_whole_output_and_says_its_last_line():
    proc = subprocess.run([sys.executable, "-c", "import sys; print('step 1'); sys.exit('step 2 broke')"],
                          capture_output=True, text=True)
    error = CommandFailed.of("the step", proc, "fix it")
    assert str(error) == "the step failed: step 2 broke — fix it"
    assert error.returncode == 1 and error.command[0] == sys.executable
    assert "step 1" in error.output and "step 2 broke" in error.output
    assert not isinstance(error, WaitTimedOut)


def test_a_silent_failure_says_its_exit_status():
    proc = subprocess.CompletedProcess(["false"], 3, "", "")
    assert str(CommandFailed.of("false", proc)) == "false failed: exit status 3"
