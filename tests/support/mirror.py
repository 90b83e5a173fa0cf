"""A registry on loopback that stands in for Docker Hub: the kit's own registry image, run on the
main engine and published on 127.0.0.1 only, seeded with stand-ins under upstream names.

An engine whose config names it in `registry-mirrors` asks it first for every Docker Hub name
(`debian:…`, `kindest/node:…`), which is what the kit's pins are. `seed()` pushes one of this
machine's images there under an upstream name and returns the digest the registry serves it
under: the reference a test pins instead of the real one. The tag pushed from is taken away again;
the container and everything pushed into it go at the end.
"""
from __future__ import annotations

import re
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from dockyard.host.ports import free_port

from .second_engine import MAIN_HOST, SecondEngineError, sh

REGISTRY_IMAGE = "dockyard/registry:2.8"
PUSHED_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")


@dataclass(frozen=True)
class StandIn:
    upstream: str        # the name the kit pins, without digest: "debian:bookworm-slim"
    source: str          # this machine's image it stands for: "dockyard/debian:bookworm"
    digest: str          # sha256:… of the manifest the mirror serves
    image_id: str        # sha256:… of the image config: the ID any engine gives it after a pull
    seconds: float       # tag, push, untag

    @property
    def pinned(self) -> str:
        """`debian:bookworm-slim@sha256:…`: what the kit is told to pull."""
        return f"{self.upstream}@{self.digest}"


def hub_path(upstream: str) -> str:
    """Docker Hub's repository path: official images live under library/."""
    name, _, tag = upstream.partition(":")
    if "/" not in name:
        name = f"library/{name}"
    return f"{name}:{tag or 'latest'}"


class RegistryMirror:
    """`with RegistryMirror() as mirror:` a registry at mirror.url (http://127.0.0.1:PORT)."""

    def __init__(self, image: str = REGISTRY_IMAGE, engine_host: str = MAIN_HOST, name: str | None = None):
        self.image = image
        self.engine_host = engine_host
        self.name = name or f"dysim-mirror-{secrets.token_hex(3)}"
        self.port = 0
        self.container_id = ""
        self.stand_ins: dict[str, StandIn] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def docker(self, *args: str, timeout: float | None = 1800, check: bool = True) -> subprocess.CompletedProcess:
        return sh(["docker", "-H", self.engine_host, *args], timeout=timeout, check=check)

    def __enter__(self) -> "RegistryMirror":
        if self.docker("image", "inspect", self.image, check=False).returncode != 0:
            raise SecondEngineError(f"the kit's registry image {self.image} is not on the main engine: "
                                    "run `make prepare` first")
        try:
            for attempt in range(3):   # a port taken between choosing and publishing: choose again
                self.port = free_port()
                proc = self.docker("run", "-d", "--name", self.name, "--label", "dysim=mirror",
                                   "-p", f"127.0.0.1:{self.port}:5000", self.image, check=False)
                if proc.returncode == 0:
                    self.container_id = proc.stdout.strip()
                    break
                self.docker("rm", "-f", self.name, check=False)
                if "address already in use" not in proc.stderr or attempt == 2:
                    raise SecondEngineError(f"the mirror did not start: {proc.stderr.strip()}")
            self._wait_answers()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def _wait_answers(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/v2/", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        logs = self.docker("logs", "--tail", "20", self.name, check=False)
        raise SecondEngineError(f"the mirror at {self.url} did not answer within {timeout:.0f}s: {logs.stdout}{logs.stderr}")

    def seed(self, source: str, upstream: str) -> StandIn:
        """Push this machine's `source` as `upstream` (e.g. debian:bookworm-slim) into the mirror."""
        started = time.monotonic()
        target = f"{self.address}/{hub_path(upstream)}"
        image_id = self.docker("image", "inspect", "--format", "{{.Id}}", source).stdout.strip()
        self.docker("tag", source, target)
        try:
            out = self.docker("push", target, timeout=3600).stdout
        finally:
            self.docker("rmi", "--no-prune", target, check=False)   # only the tag: the image stays
        found = PUSHED_DIGEST.findall(out)
        if not found:
            raise SecondEngineError(f"pushing {source} as {target} printed no digest:\n{out[-500:]}")
        stand_in = StandIn(upstream, source, found[-1], image_id, time.monotonic() - started)
        self.stand_ins[upstream] = stand_in
        return stand_in

    def has(self, upstream: str, digest: str) -> bool:
        """Whether the mirror serves that manifest (a HEAD on /v2/<name>/manifests/<digest>)."""
        name = hub_path(upstream).rsplit(":", 1)[0]
        request = urllib.request.Request(f"{self.url}/v2/{name}/manifests/{digest}", method="HEAD", headers={
            "Accept": "application/vnd.docker.distribution.manifest.v2+json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def remove(self) -> None:
        if self.name:
            self.docker("rm", "-f", "-v", self.name, check=False)

    def leftovers(self) -> list[str]:
        proc = self.docker("ps", "-a", "-q", "--filter", f"name=^{self.name}$", check=False)
        left = [f"container {self.name}"] if proc.stdout.strip() else []
        tags = self.docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.split()
        left += [f"image tag {t}" for t in tags if self.port and t.startswith(f"{self.address}/")]
        return left
