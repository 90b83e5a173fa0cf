"""Facts and numbers read from the engine itself, on recorded `docker info` / `docker system df` shapes."""
import json
import sys
from pathlib import Path

import pytest

from dockyard.engine.resources import describe, disk_usage, engine_facts, host_readings_apply
from dockyard.host import resources
from dockyard.ops import doctor

FIXTURES = Path(__file__).parent / "fixtures" / "engines"


def info(shape: str) -> dict:
    return json.loads((FIXTURES / "info" / f"{shape}.json").read_text())


def facts(shape: str):
    return engine_facts(info(shape))


#          shape                  desktop rootless wsl2   containerd builder
SHAPES = [("desktop-mac",         True,   False,   False, False,     "BuildKit"),
          ("desktop-windows",     True,   False,   True,  True,      "BuildKit"),
          ("wsl2-ubuntu",         False,  False,   True,  False,     "BuildKit"),
          ("rootless",            False,  True,    False, False,     "BuildKit"),
          ("engine29-containerd", False,  False,   False, True,      "BuildKit"),
          ("debian-20.10",        False,  False,   False, False,     "classic")]


@pytest.mark.parametrize("shape, desktop, rootless, wsl2, containerd, builder", SHAPES)
def test_engine_facts_per_recorded_shape(shape, desktop, rootless, wsl2, containerd, builder):
    f = facts(shape)
    assert (f.is_desktop, f.is_rootless, f.is_wsl2, f.containerd_store, f.builder) == \
        (desktop, rootless, wsl2, containerd, builder)
    assert f.os_type == "linux" and f.version and f.ncpu > 0 and f.mem_total > 0


def test_engine_facts_carry_the_numbers():
    f = facts("desktop-mac")
    assert (f.version, f.os, f.name, f.root_dir) == ("28.3.2", "Docker Desktop", "docker-desktop", "/var/lib/docker")
    assert round(f.mem_total_gb, 1) == 7.7 and f.ncpu == 8 and f.kernel.endswith("linuxkit")
    assert facts("rootless").root_dir == "/home/ana/.local/share/docker"


def test_api_version_comes_from_version_not_info():
    assert facts("debian-20.10").api == ""
    assert engine_facts(info("debian-20.10"), {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41"}).api == "1.41"


def test_an_unknown_version_is_not_assumed_new():
    assert engine_facts({"ServerVersion": "dev"}).builder == "classic"
    assert engine_facts({}).os == "" and not engine_facts({}).is_rootless


def test_describe_says_what_holds_on_this_engine():
    assert describe(facts("rootless")) == "Ubuntu 24.04.2 LTS, rootless"
    assert describe(facts("wsl2-ubuntu")) == "Ubuntu 24.04.2 LTS, WSL2"
    assert describe(facts("desktop-windows")) == "Docker Desktop, containerd image store"


def test_disk_usage_counts_as_docker_system_df():
    df = json.loads((FIXTURES / "df" / "desktop-mac.json").read_text())
    usage = disk_usage(df)
    # layers once; writable layers; measured volumes only; build cache not shared with images
    assert (usage.images, usage.containers, usage.volumes, usage.build_cache) == \
        (4412383232, 1245184, 48234496, 104857600)
    assert usage.total == 4412383232 + 1245184 + 48234496 + 104857600


def test_disk_usage_of_an_empty_engine():
    assert disk_usage({"LayersSize": 0, "Images": [], "Containers": None, "Volumes": None,
                       "BuildCache": None}).total == 0


@pytest.mark.parametrize("platform, socket, shape, local", [
    ("linux", "/var/run/docker.sock", "debian-20.10", True),
    ("linux", "/run/user/1000/docker.sock", "rootless", True),
    ("linux", "/var/run/docker.sock", None, True),                   # engine down: the host is all we have
    ("linux", "/home/ana/.docker/desktop/docker.sock", "desktop-mac", False),   # Desktop for Linux: a VM
    ("linux", None, "engine29-containerd", False),                   # tcp or ssh: another machine
    ("darwin", "/Users/NAME/.docker/run/docker.sock", "desktop-mac", False),
    ("win32", None, "desktop-windows", False),
])
def test_host_readings_only_for_a_local_linux_engine(platform, socket, shape, local):
    assert host_readings_apply(platform, socket, facts(shape) if shape else None) is local


def test_desktop_memory_is_the_vm_s():
    disk, memory = doctor.engine_resource_checks(facts("desktop-mac"), None)
    assert memory.ok and memory.detail == "the engine's VM has 7.7 GB"
    assert not disk.ok and not disk.required


def test_a_small_desktop_vm_fails_with_the_settings_fix():
    small = engine_facts(info("desktop-mac") | {"MemTotal": 2 * 2**30})
    _, memory = doctor.engine_resource_checks(small, None)
    assert not memory.ok and "Settings → Resources" in memory.fix


def test_engine_disk_use_is_a_finding_not_a_failure():
    df = json.loads((FIXTURES / "df" / "desktop-mac.json").read_text())
    disk, _ = doctor.engine_resource_checks(facts("engine29-containerd"), disk_usage(df))
    assert disk.ok and not disk.required and disk.detail.startswith("4.3 GB in use in the engine (build-01)")


def test_no_engine_off_linux_is_unknown_not_required():
    checks = doctor.engine_resource_checks(None, None)
    assert [c.required for c in checks] == [False, False] and doctor.healthy(checks)


def test_memory_off_linux_reads_no_proc(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(resources.Path, "read_text", lambda self: pytest.fail(f"read {self}"))
    assert resources.available_memory_gb() == 0.0


def test_read_engine_facts_asks_info_and_version():
    class Client:
        def info(self):
            return info("engine29-containerd")

        def version(self):
            return {"Version": "29.0.1", "ApiVersion": "1.52"}

    from dockyard.engine.resources import read_engine_facts
    f = read_engine_facts(Client())
    assert (f.version, f.api, f.containerd_store) == ("29.0.1", "1.52", True)
