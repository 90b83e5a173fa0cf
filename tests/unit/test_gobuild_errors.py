"""A failed Go build is one line for people, with Go's whole output kept in a file."""
import sys

import pytest

from dockyard.errors import DockyardError
from dockyard.host import gobuild

FAILING = [sys.executable, "-c",
           "import sys; print('go: downloading x'); "
           "sys.stderr.write('# k8s.io/x\\nmain.go:3:1: undefined: y\\n\\n'); sys.exit(1)"]


def test_a_failed_go_command_is_one_line_and_keeps_the_output(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKYARD_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DockyardError) as err:
        gobuild._run(FAILING, tmp_path, log=lambda line: None, what="building x")
    assert err.value.what == "building x failed: main.go:3:1: undefined: y"
    assert "\n" not in str(err.value)
    output = tmp_path / "go-error.log"
    assert str(output) in err.value.fix
    assert "go: downloading x" in output.read_text() and "# k8s.io/x" in output.read_text()


def test_extra_environment_reaches_the_command(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKYARD_CACHE", str(tmp_path / "cache"))
    script = "import os, sys; sys.exit(0 if os.environ['GOBIN'] == 'here' and os.environ['CGO_ENABLED'] == '0' else 1)"
    gobuild._run([sys.executable, "-c", script], tmp_path, log=lambda line: None, what="x",
                 extra_env={"GOBIN": "here"})
