"""How the current engine's programs are built (dockyard.engine.current), without building them:
the commands carry the pins and version stamps, the folder name follows the recipe, and a folder
is used only when whole."""
import dataclasses

import pytest

from dockyard import versions
from dockyard.engine import current


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKYARD_CACHE", str(tmp_path))
    monkeypatch.setenv("DOCKYARD_TIMINGS", str(tmp_path / "timings.json"))
    monkeypatch.setattr(current, "missing_system_packages", lambda builds=current.BUILDS: [])
    return tmp_path


def test_dockerd_is_stamped_with_its_version_and_built_with_docker_proxy():
    cmd = " ".join(current.MOBY_BUILD.command())
    assert f"-X github.com/moby/moby/v2/dockerversion.Version={versions.CURRENT_ENGINE_VERSION}" in cmd
    assert versions.CURRENT_ENGINE_VERSION.startswith("29.")   # the kit reads the major to tell BuildKit
    for command in ("dockerd", "docker-proxy"):
        assert f"github.com/moby/moby/v2/cmd/{command}@{versions.CURRENT_ENGINE_MODULE_VERSION}" in cmd
    assert current.MOBY_BUILD.settings() == {"CGO_ENABLED": "0"}


def test_runc_is_a_cgo_build_with_seccomp():
    assert current.RUNC_BUILD.settings() == {"CGO_ENABLED": "1"}
    assert "seccomp" in current.RUNC_BUILD.tags
    assert current.RUNC_BUILD.packages() == [f"github.com/opencontainers/runc@{versions.CURRENT_ENGINE_RUNC_VERSION}"]


def test_a_new_pin_is_a_new_folder(cache):
    newer = dataclasses.replace(current.RUNC_BUILD, version="v1.3.99")
    builds = (current.MOBY_BUILD, newer, current.BUILDX_BUILD)
    assert current.engine_dir(builds) != current.engine_dir()
    assert current.engine_dir().name.startswith(f"engine-{versions.CURRENT_ENGINE_MODULE_VERSION}-")


def fake_go(calls):
    def go(build, out_dir, log):
        calls.append(build.name)
        for name in build.binaries:
            (out_dir / name).write_bytes(f"{name} built".encode())
        return 0.0
    return go


def test_a_whole_folder_is_used_and_a_damaged_one_built_again(cache, monkeypatch):
    calls = []
    monkeypatch.setattr(current, "_go", fake_go(calls))
    folder = current.ensure_engine(log=lambda _: None)
    assert folder == current.engine_dir() and calls == ["dockerd", "runc", "buildx"]
    assert not folder.with_name(folder.name + ".partial").exists()
    assert (folder / "recipe.txt").read_text() == current.recipe()

    calls.clear()
    assert current.ensure_engine(log=lambda _: None) == folder and calls == []

    (folder / "runc").write_bytes(b"trunc")          # a damaged binary: its sha256 no longer matches
    current.ensure_engine(log=lambda _: None)
    assert calls == ["dockerd", "runc", "buildx"] and current.present(folder)


def test_a_failed_build_leaves_no_folder_with_the_real_name(cache, monkeypatch):
    def failing(build, out_dir, log):
        if build.name == "runc":
            raise current.DockyardError("building runc failed: cgo", "install gcc")
        return fake_go([])(build, out_dir, log)
    monkeypatch.setattr(current, "_go", failing)
    with pytest.raises(current.DockyardError):
        current.ensure_engine(log=lambda _: None)
    assert not current.engine_dir().exists()
