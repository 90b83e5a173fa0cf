"""Facts about the main engine a test takes before and after, to show it was left alone."""
from __future__ import annotations

import os
import secrets
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field

from dockyard.host.ports import free_port
from dockyard.images.debian_base import machine_apt_sources

from .second_engine import MAIN_HOST, link_exists, sh

KIND_LABEL = "io.x-k8s.kind.cluster"


def mirror_url(suite: str = "bookworm") -> str:
    """A Release file on the machine's own Debian mirror (from its apt sources, as the kit does)."""
    uri = machine_apt_sources(suite)[0].split()[1].rstrip("/")
    return f"{uri}/dists/{suite}/Release"


def main_docker(*args: str, check: bool = True, timeout: float = 300):
    return sh(["docker", "-H", MAIN_HOST, *args], check=check, timeout=timeout)


@dataclass
class MainEngineState:
    docker0: bool
    cluster_nodes: dict[str, str]          # container id -> "name status image"
    nat_docker0: bool                      # the main engine's MASQUERADE rule for docker0
    chains: list[str] = field(default_factory=list)

    @classmethod
    def now(cls, cluster: str = "dockyard") -> "MainEngineState":
        out = main_docker("ps", "-a", "--no-trunc", "--filter", f"label={KIND_LABEL}={cluster}",
                          "--format", "{{.ID}} {{.Names}} {{.State}} {{.Image}}").stdout
        nodes = {line.split()[0]: " ".join(line.split()[1:]) for line in out.splitlines() if line.strip()}
        nat = sh(["iptables-save", "-t", "nat"]).stdout
        chains = sorted(line.split()[0] for line in sh(["iptables-save", "-t", "filter"]).stdout.splitlines()
                        if line.startswith(":DOCKER"))
        return cls(link_exists("docker0"), nodes,
                   "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE" in nat or "! -o docker0" in nat,
                   chains)


def main_container_reaches_mirror(image: str = "dockyard/busybox:1.35") -> str:
    """A throwaway container on the main engine's default bridge fetches the mirror's Release."""
    name = f"dysim-probe-{secrets.token_hex(3)}"
    proc = main_docker("run", "--rm", "--name", name, image, "sh", "-c",
                       f"timeout 30 wget -q -O- {mirror_url()} | head -n 3", check=False, timeout=120)
    return proc.stdout if proc.returncode == 0 else f"FAILED: {proc.stderr.strip()}"


class MainWebServer:
    """A small web server on the main engine, published on 127.0.0.1, that a test removes itself."""

    def __init__(self, image: str = "dockyard/busybox:1.35"):
        self.image = image
        self.name = f"dysim-web-{secrets.token_hex(3)}"
        self.port = 0

    def __enter__(self) -> "MainWebServer":
        self.port = free_port()
        main_docker("run", "-d", "--name", self.name, "-p", f"127.0.0.1:{self.port}:8080", self.image,
                    "sh", "-c", "mkdir -p /w && echo main-engine > /w/index.html && httpd -f -p 8080 -h /w")
        return self

    def __exit__(self, *exc) -> None:
        main_docker("rm", "-f", self.name, check=False)

    def answers(self, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2) as resp:
                    if b"main-engine" in resp.read():
                        return True
            except OSError:
                time.sleep(0.3)
        return False


def main_cluster_ready_nodes(cluster: str = "dockyard") -> int:
    """Ready nodes of the main cluster, asked through its API as root's kubeconfig has it. A node
    a notebook cordoned meanwhile ("Ready,SchedulingDisabled") is still Ready."""
    proc = subprocess.run(["kubectl", "--context", f"kind-{cluster}", "get", "nodes", "--no-headers",
                           "--request-timeout=20s"], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"})
    return sum(1 for line in proc.stdout.splitlines() if line.split()[1:2]
               and line.split()[1].split(",")[0] == "Ready")
