from dockyard.ops.doctor import Check, available_memory_gb, format_checks, healthy


def test_optional_failures_do_not_fail_the_doctor():
    checks = [Check("engine", True, "ok"), Check("cluster", False, "down", "dockyard cluster up", required=False)]
    assert healthy(checks)
    assert not healthy(checks + [Check("disk", False, "1 GB free", "free space")])


def test_failures_show_their_fix_on_the_same_line():
    lines = format_checks([Check("engine", False, "not running", "dockyard engine up")])
    assert lines == ["✗ engine  not running  → dockyard engine up"]


def test_memory_from_meminfo():
    assert round(available_memory_gb("MemTotal: 1 kB\nMemAvailable:    4194304 kB\n")) == 4


def test_engine_down_message_names_the_fix(monkeypatch, tmp_path):
    from dockyard.engine.probe import explain
    what, fix = explain(f"unix://{tmp_path}/docker.sock", None)
    assert "not running" in what and "dockyard engine up" in fix
