"""The Go builds beside the images: their output stays readable, a failure is said, a stop ends them."""
import sys
import time

import pytest

from dockyard.cluster.early_go import EarlyGo
from dockyard.display import LoggedProgress
from dockyard.errors import DockyardError


def test_a_logged_step_prints_one_prefixed_line_and_keeps_its_details_in_the_file(tmp_path, capsys):
    log = tmp_path / "go.log"
    progress = LoggedProgress("Go", log)
    with progress.step("Building kind v0.27.0"):
        progress.line("go install sigs.k8s.io/kind@v0.27.0")
        progress.line("   ")
    out = capsys.readouterr()
    assert out.out.startswith(" ✓ Go: Building kind v0.27.0 (") and out.out.count("\n") == 1
    assert "go install" not in out.out + out.err
    assert log.read_text() == "go install sigs.k8s.io/kind@v0.27.0\n"


def test_a_failed_step_is_marked_and_raised(tmp_path, capsys):
    with pytest.raises(RuntimeError):
        with LoggedProgress("Go", tmp_path / "go.log").step("Building etcd"):
            raise RuntimeError("compile error")
    assert capsys.readouterr().out.startswith(" ✗ Go: Building etcd (")


def test_wait_says_when_the_builds_failed():
    go = EarlyGo()
    go.launch([sys.executable, "-c", "import sys; sys.exit(3)"])
    with pytest.raises(DockyardError, match=r"the Go builds failed \(exit status 3\)"):
        go.wait()
    go.wait()   # once said, nothing is left to wait for


def test_wait_returns_when_the_builds_succeeded():
    go = EarlyGo()
    go.launch([sys.executable, "-c", "pass"])
    go.wait()


def test_stop_ends_the_builds_and_their_children(tmp_path):
    marker = tmp_path / "child.pid"
    go = EarlyGo()
    # The child starts a grandchild (as go build starts its compilers) and both sleep.
    go.launch(["sh", "-c", f"sleep 60 & echo $! > {marker}.tmp && mv {marker}.tmp {marker}; wait"])
    deadline = time.monotonic() + 5
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(marker.read_text())
    go.stop()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{grandchild}/stat") as stat:
                if stat.read().split(")")[-1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the grandchild still runs after stop()")
    go.stop()   # twice is harmless
