"""daemon.json: nothing lost (atomic, backed up once, restorable), nothing replaced behind anyone's back."""
import json
import os
import stat

import pytest

from dockyard.engine import capfilter
from dockyard.errors import DockyardError

ORIGINAL = b'{ "log-level": "warn",\n  "runtimes": {"x": {"path": "/x"}} }\n'   # the user's own layout


def quiet(*_):
    pass


@pytest.fixture
def etc(tmp_path):
    """A fake /etc/docker and /usr/local/lib/dockyard."""
    (tmp_path / "docker").mkdir()
    return tmp_path


def install(etc, **kw):
    return capfilter.install(quiet, etc / "docker" / "daemon.json", etc / "lib" / "dockyard" / "runc-capfilter",
                             missing=["CAP_SYS_RESOURCE"], **kw)


def restore(etc):
    return capfilter.restore(quiet, etc / "docker" / "daemon.json")


def files(etc):
    return sorted(p.relative_to(etc).as_posix() for p in etc.rglob("*") if p.is_file())


def test_install_keeps_the_original_once_and_the_mode(etc):
    daemon = etc / "docker" / "daemon.json"
    daemon.write_bytes(ORIGINAL)
    daemon.chmod(0o600)
    assert install(etc) is True
    config = json.loads(daemon.read_text())
    assert config["default-runtime"] == capfilter.RUNTIME_NAME and config["log-level"] == "warn"
    assert set(config["runtimes"]) == {"x", capfilter.RUNTIME_NAME}
    assert stat.S_IMODE(daemon.stat().st_mode) == 0o600
    backup, _ = capfilter.backup_paths(daemon)
    assert backup.read_bytes() == ORIGINAL
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert os.access(etc / "lib" / "dockyard" / "runc-capfilter", os.X_OK)

    written, before = daemon.read_bytes(), daemon.stat().st_mtime_ns
    assert install(etc) is False                     # idempotent: nothing rewritten
    assert daemon.read_bytes() == written and daemon.stat().st_mtime_ns == before
    assert backup.read_bytes() == ORIGINAL           # the first backup stays


def test_restore_puts_the_original_back_byte_for_byte(etc):
    daemon = etc / "docker" / "daemon.json"
    daemon.write_bytes(ORIGINAL)
    daemon.chmod(0o640)
    install(etc)
    assert restore(etc) is True
    assert daemon.read_bytes() == ORIGINAL
    assert stat.S_IMODE(daemon.stat().st_mode) == 0o640
    assert files(etc) == ["docker/daemon.json", "lib/dockyard/runc-capfilter"]   # backup gone
    assert restore(etc) is False                     # a second restore finds nothing to undo
    assert daemon.read_bytes() == ORIGINAL


def test_no_original_is_recorded_and_restore_removes_ours(etc):
    daemon = etc / "docker" / "daemon.json"
    assert install(etc) is True
    _, no_original = capfilter.backup_paths(daemon)
    assert no_original.exists() and not capfilter.backup_paths(daemon)[0].exists()
    install(etc)                                     # a second install does not mistake ours for theirs
    assert not capfilter.backup_paths(daemon)[0].exists()
    assert restore(etc) is True
    assert not daemon.exists() and not no_original.exists()


def test_edits_made_after_the_install_survive_the_restore(etc):
    daemon = etc / "docker" / "daemon.json"
    daemon.write_bytes(ORIGINAL)
    install(etc)
    config = json.loads(daemon.read_text()) | {"debug": True}
    daemon.write_text(json.dumps(config))
    restore(etc)
    assert json.loads(daemon.read_text()) == json.loads(ORIGINAL) | {"debug": True}


def test_file_written_by_an_older_kit_without_a_backup(etc):
    daemon = etc / "docker" / "daemon.json"
    daemon.write_text(json.dumps(capfilter.merged_daemon_config({"log-level": "warn"})))
    assert install(etc) is False
    assert restore(etc) is True
    assert json.loads(daemon.read_text()) == {"log-level": "warn"}
    daemon.write_text(json.dumps(capfilter.merged_daemon_config({})))
    restore(etc)
    assert not daemon.exists()                       # it held only ours


def test_a_foreign_default_runtime_is_refused_in_one_line(etc):
    daemon = etc / "docker" / "daemon.json"
    daemon.write_text('{"default-runtime": "nvidia"}')
    with pytest.raises(DockyardError) as err:
        install(etc)
    line = str(err.value)
    assert "\n" not in line
    assert '"nvidia"' in line and "privileged containers will fail" in line and "dockyard engine up" in line
    assert files(etc) == ["docker/daemon.json"]      # no wrapper, no backup
    assert daemon.read_text() == '{"default-runtime": "nvidia"}'


@pytest.mark.parametrize("text", ['{"log-level": "warn",}', '["a list"]'])
def test_invalid_json_is_refused_and_nothing_changes(etc, text):
    daemon = etc / "docker" / "daemon.json"
    daemon.write_text(text)
    with pytest.raises(DockyardError) as err:
        install(etc)
    assert "\n" not in str(err.value) and "changed nothing" in str(err.value)
    assert files(etc) == ["docker/daemon.json"] and daemon.read_text() == text
    with pytest.raises(DockyardError) as err:
        restore(etc)
    assert "dockyard engine down --restore" in str(err.value)
    assert daemon.read_text() == text


def test_restore_with_nothing_installed_changes_nothing(etc):
    daemon = etc / "docker" / "daemon.json"
    assert restore(etc) is False and not daemon.exists()
    daemon.write_bytes(ORIGINAL)
    assert restore(etc) is False and daemon.read_bytes() == ORIGINAL


def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_bytes(ORIGINAL)
    # json's encoder streams: "a" is written before it meets the object it cannot encode.
    with pytest.raises(TypeError):
        capfilter.atomic_write(path, capfilter.json_writer({"a": "x" * 10000, "b": object()}))

    def disk_full(f):
        f.write(b'{"half')
        raise OSError(28, "No space left on device")
    with pytest.raises(OSError):
        capfilter.atomic_write(path, disk_full)
    assert path.read_bytes() == ORIGINAL
    assert [p.name for p in tmp_path.iterdir()] == ["daemon.json"]   # no temp file left behind


def test_a_failed_rename_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "daemon.json"
    path.write_bytes(ORIGINAL)

    def refuse(*_):
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr(capfilter.os, "replace", refuse)
    with pytest.raises(OSError):
        capfilter.atomic_write(path, capfilter.json_writer({"new": 1}))
    assert path.read_bytes() == ORIGINAL
    assert [p.name for p in tmp_path.iterdir()] == ["daemon.json"]


def test_atomic_write_keeps_the_mode_unless_told(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    path.chmod(0o600)
    capfilter.atomic_write(path, lambda f: f.write(b"new"))
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o600
    capfilter.atomic_write(path, lambda f: f.write(b"run"), mode=0o755)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    fresh = tmp_path / "g"
    capfilter.atomic_write(fresh, lambda f: f.write(b"{}"))
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_unmerge_takes_out_only_ours():
    original = {"log-level": "warn", "runtimes": {"x": {"path": "/x"}}}
    assert capfilter.unmerged_daemon_config(capfilter.merged_daemon_config(original)) == original
    assert capfilter.unmerged_daemon_config(capfilter.merged_daemon_config({})) == {}


def test_remove_wrapper(tmp_path):
    wrapper = tmp_path / "dockyard" / "runc-capfilter"
    wrapper.parent.mkdir()
    wrapper.write_text("#!/bin/sh\n")
    assert capfilter.remove_wrapper(wrapper) is True
    assert not wrapper.parent.exists()
    assert capfilter.remove_wrapper(wrapper) is False
