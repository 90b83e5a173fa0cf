"""The preflight's tool checks answer in a row of the table, whatever the tool does."""
from dockyard.ops import doctor
def a_tool(tmp_path, monkeypatch, script: str):
    path = tmp_path / "tool"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    monkeypatch.setattr(doctor, "tool", lambda name: str(path))


def test_a_tool_that_answers_shows_its_first_line(tmp_path, monkeypatch):
    a_tool(tmp_path, monkeypatch, "echo 'kind v0.30.0 go1.24 linux/amd64'; echo more")
    check = doctor._tool_check("kind", ["version"])
    assert check.ok and check.detail == "kind v0.30.0 go1.24 linux/amd64"


def test_a_silent_tool_is_a_failed_row_not_a_crash(tmp_path, monkeypatch):
    a_tool(tmp_path, monkeypatch, "sleep 5")
    monkeypatch.setattr(doctor, "TOOL_TIMEOUT", 0.3)
    check = doctor._tool_check("kubectl", ["version", "--client"])
    assert not check.ok and "gave no answer within" in check.detail and not check.required


def test_a_missing_tool_says_so(monkeypatch):
    monkeypatch.setattr(doctor, "tool", lambda name: None)
    assert doctor._tool_check("kind", ["version"]).detail == "not found"
