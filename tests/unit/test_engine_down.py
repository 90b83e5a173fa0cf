"""The "started by us" marker names one process; `engine down [--restore]` undoes only what the kit did."""
import json
import os

import pytest

from dockyard.engine import capfilter, provision

# /proc/<pid>/stat of a dockerd, field 22 (start time) = 98765.
STAT = "4080 (dockerd) S 1 4080 4080 0 -1 4194560 12345 0 0 0 100 50 0 0 20 0 12 0 98765 1234567 5000\n"
MARKER = '{"pid": 4080, "start_time": 98765}\n'


def test_stat_fields_survive_odd_command_names():
    odd = STAT.replace("(dockerd)", "(my (odd) name)")
    assert provision.proc_stat_fields(odd) == (4080, "S", 98765)


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="Linux only")
def test_stat_fields_of_this_process():
    with open("/proc/self/stat") as f:
        assert provision.proc_stat_fields(f.read())[0] == os.getpid()


def test_marker_round_trip():
    assert provision.marker_text(4080, 98765) == MARKER
    assert provision.parse_marker(MARKER) == (4080, 98765)
    assert provision.parse_marker("") is None           # the empty marker an older kit touched
    assert provision.parse_marker('{"pid": "x"}') is None


def test_marker_describes_only_that_very_dockerd():
    assert provision.marker_describes(MARKER, "dockerd\n", STAT)
    assert not provision.marker_describes(MARKER, "dockerd\n", STAT.replace(" 98765 ", " 98766 "))  # restarted
    assert not provision.marker_describes(MARKER, "bash\n", STAT)                                  # pid reused
    assert not provision.marker_describes(MARKER, "dockerd\n", STAT.replace(") S ", ") Z "))       # exited
    assert not provision.marker_describes(MARKER, "dockerd\n", STAT.replace("4080 (", "4081 ("))
    assert not provision.marker_describes("", "dockerd\n", STAT)
    assert not provision.marker_describes(MARKER, "dockerd\n", "garbage")


def fake_proc(tmp_path, comm="dockerd\n", stat=STAT):
    proc = tmp_path / "proc"
    (proc / "4080").mkdir(parents=True)
    (proc / "4080" / "comm").write_text(comm)
    (proc / "4080" / "stat").write_text(stat)
    return proc


def test_started_by_us_reads_the_marker_and_proc(tmp_path):
    proc, marker = fake_proc(tmp_path), tmp_path / "marker"
    assert not provision.started_by_us(marker, proc)    # no marker
    provision.record_started(4080, marker, proc)
    assert json.loads(marker.read_text()) == {"pid": 4080, "start_time": 98765}
    assert provision.started_by_us(marker, proc)
    (proc / "4080" / "comm").write_text("sleep\n")
    assert not provision.started_by_us(marker, proc)
    assert not provision.started_by_us(marker, tmp_path / "empty-proc")   # pid gone


@pytest.fixture
def host(tmp_path, monkeypatch):
    """Fake paths; every call that would touch a real process or engine is replaced."""
    calls = []
    monkeypatch.setattr(provision, "stop_dockerd", lambda **kw: calls.append("stop") or kw["marker"].unlink(missing_ok=True))
    monkeypatch.setattr(provision, "start_dockerd", lambda **kw: calls.append("start"))
    monkeypatch.setattr(provision, "_dockerd_pid", lambda: None)
    monkeypatch.setattr(provision, "_local_engine_runtimes", lambda: None)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    (tmp_path / "docker").mkdir()
    paths = dict(marker=tmp_path / "marker", daemon_json=tmp_path / "docker" / "daemon.json",
                 wrapper=tmp_path / "lib" / "runc-capfilter")
    capfilter.install(lambda *_: None, paths["daemon_json"], paths["wrapper"], missing=["CAP_SYS_RESOURCE"])
    return calls, paths, monkeypatch


def test_down_restore_stops_ours_and_undoes_everything(host):
    calls, paths, monkeypatch = host
    paths["marker"].write_text(MARKER)
    monkeypatch.setattr(provision, "started_by_us", lambda marker: marker.exists())
    steps = provision.engine_down(restore=True, log=lambda *_: None, **paths)
    assert steps == ["stop", "restore", "wrapper"] and calls == ["stop"]
    assert not paths["daemon_json"].exists() and not paths["wrapper"].exists()
    assert not paths["marker"].exists()


def test_down_never_stops_someone_elses_engine(host):
    calls, paths, monkeypatch = host
    monkeypatch.setattr(provision, "started_by_us", lambda marker: False)
    monkeypatch.setattr(provision, "_local_engine_runtimes", lambda: {"runc", capfilter.RUNTIME_NAME})
    said = []
    steps = provision.engine_down(restore=True, log=said.append, **paths)
    assert calls == [] and steps == ["restore"]
    assert not paths["daemon_json"].exists()
    assert paths["wrapper"].exists()                    # its running containers still need it
    assert any("left running" in line for line in said)
    assert any("owner must restart" in line and "engine down --restore" in line for line in said)
    # Once its owner restarted it without our runtime, a second run removes the wrapper.
    monkeypatch.setattr(provision, "_local_engine_runtimes", lambda: {"runc"})
    assert provision.engine_down(restore=True, log=said.append, **paths) == ["wrapper"]


def test_down_without_restore_keeps_the_filter(host):
    calls, paths, monkeypatch = host
    paths["marker"].write_text("")                      # stale: names no live dockerd
    steps = provision.engine_down(log=lambda *_: None, **paths)
    assert steps == [] and calls == []
    assert not paths["marker"].exists()
    assert paths["daemon_json"].exists() and paths["wrapper"].exists()


def test_restore_restarts_only_the_dockerd_we_started(host):
    calls, paths, monkeypatch = host
    monkeypatch.setattr(provision, "started_by_us", lambda marker: True)
    steps = provision.engine_restore(lambda *_: None, **paths)
    assert steps == ["restore", "restart", "wrapper"] and calls == ["stop", "start"]


def test_a_failing_systemctl_is_one_line(monkeypatch):
    import subprocess
    from dockyard.errors import DockyardError
    failed = subprocess.CompletedProcess([], 1, "", "Failed to start docker.service: Unit docker.service is masked.\n")
    monkeypatch.setattr(provision.subprocess, "run", lambda *a, **kw: failed)
    with pytest.raises(DockyardError) as err:
        provision.systemd_start(log=lambda *_: None)
    assert "\n" not in str(err.value) and "masked" in str(err.value) and "journalctl -u docker" in str(err.value)
