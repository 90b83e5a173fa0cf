"""The second engine itself (tests/support/second_engine.py), before anything is built on it: it
starts empty and separate, runs ordinary and privileged containers, publishes on 127.0.0.1,
reaches the Debian mirror, and when it is gone the main engine is as it was and nothing is left.
"""
import subprocess
import urllib.request

import pytest

from support.hostcheck import MainEngineState, MainWebServer, main_container_reaches_mirror, mirror_url
from support.second_engine import SecondEngine, processes_naming, tagged_rules
from dockyard.host.ports import free_port

STAND_IN = "dockyard/busybox:1.35"      # the kit's own small image, loaded from the main engine

pytestmark = pytest.mark.cluster         # a live test: a skip counts as a failure


def load_from_main(engine: SecondEngine, ref: str) -> None:
    save = subprocess.Popen(["docker", "-H", "unix:///var/run/docker.sock", "save", ref], stdout=subprocess.PIPE)
    load = subprocess.run(["docker", "-H", engine.host, "load"], stdin=save.stdout, capture_output=True, text=True)
    save.stdout.close()
    assert save.wait() == 0 and load.returncode == 0, load.stderr


def test_second_engine_stands_apart_and_leaves_nothing():
    if subprocess.run(["docker", "image", "inspect", STAND_IN], capture_output=True).returncode != 0:
        pytest.fail(f"{STAND_IN} is not on the main engine: run `make prepare` first", pytrace=False)
    before = MainEngineState.now()

    with MainWebServer() as main_web:
        assert main_web.answers(), "the main engine's published port did not answer before the second engine"
        with SecondEngine() as engine:
            info = engine.client().info()
            assert info["DockerRootDir"] == str(engine.data_root)
            assert info["Images"] == 0 and info["Containers"] == 0, "a second engine starts empty"
            assert info["Driver"] == "overlay2"
            assert info["DefaultRuntime"] == "dockyard-runc", info["Runtimes"]
            # Its own containerd: the config dockerd wrote points under our roots only.
            toml = (engine.exec_root / "containerd" / "containerd.toml").read_text()
            assert f'root = "{engine.data_root}/containerd/daemon"' in toml
            assert f'state = "{engine.exec_root}/containerd/daemon"' in toml
            assert any("containerd --config " + str(engine.exec_root) in cmd
                       for cmd in processes_naming([str(engine.exec_root)]).values())

            load_from_main(engine, STAND_IN)
            plain = engine.docker("run", "--rm", STAND_IN, "sh", "-c", "ip -4 addr show eth0").stdout
            assert " 10.213.0." in plain, f"a container on the default bridge gets an address of dysim0: {plain}"
            privileged = engine.docker("run", "--rm", "--privileged", STAND_IN, "sh", "-c",
                                       "mkdir -p /m && mount -t tmpfs x /m && echo mounted").stdout
            assert "mounted" in privileged

            port = free_port()
            engine.docker("run", "-d", "--name", "dysim-web", "-p", f"127.0.0.1:{port}:8080", STAND_IN, "sh", "-c",
                          "mkdir -p /w && echo second-engine > /w/index.html && httpd -f -p 8080 -h /w")
            assert b"second-engine" in fetch(f"http://127.0.0.1:{port}/")
            # A network made on it gets its FORWARD rules from the event watcher, and works.
            engine.docker("network", "create", "dysim-net")
            engine.docker("run", "-d", "--name", "dysim-peer", "--network", "dysim-net", STAND_IN, "sleep", "60")
            engine.docker("run", "--rm", "--network", "dysim-net", STAND_IN, "ping", "-c", "1", "-W", "3", "dysim-peer")
            bridges = {line.split()[3] for _, line in tagged_rules(engine.tag) if " -i " in line}
            assert len(bridges) >= 2, f"rules for dysim0 and the new network's bridge: {bridges}"
            reach = engine.docker("run", "--rm", STAND_IN, "sh", "-c",
                                  f"timeout 30 wget -q -O- {mirror_url()} | head -n 3").stdout
            assert "Debian" in reach, "a container of the second engine reaches the Debian mirror"

            during = MainEngineState.now()
            assert during == before, "starting a second engine changed the main engine"
            assert main_web.answers(), "the main engine's published port stopped answering"
            assert "Debian" in main_container_reaches_mirror()
        assert engine.leftovers() == []
        assert engine.timings["start"] < 30, engine.timings

        after = MainEngineState.now()
        assert after == before, "stopping the second engine changed the main engine"
        assert main_web.answers(), "the main engine's published port stopped answering after the stop"
        assert "Debian" in main_container_reaches_mirror(), "main engine containers lost the network"


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read()

