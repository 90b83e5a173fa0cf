"""Reach the Docker engine the way docker-py does (DOCKER_HOST or the default socket)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import DockyardError

DEFAULT_SOCKET = "/var/run/docker.sock"


@dataclass
class EngineStatus:
    reachable: bool
    where: str
    version: str = ""
    api_version: str = ""
    problem: str = ""      # why it is not reachable, in words
    fix: str = ""          # the command that fixes it


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"


def explain(address: str, exc: Exception | None) -> tuple[str, str]:
    """Turn a failed connection into (what happened, what to do)."""
    text = str(exc or "")
    if address.startswith("unix://"):
        path = address[len("unix://"):]
        if not os.path.exists(path):
            return (f"the Docker engine is not running (no socket at {path})",
                    "start it with `dockyard engine up` (or start Docker Desktop)")
        if "Permission denied" in text or not os.access(path, os.R_OK | os.W_OK):
            return (f"no permission to use {path}",
                    "add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again)")
        return (f"the socket {path} exists but the engine does not answer",
                "restart it with `dockyard engine up`, and see /var/log/dockyard/dockerd.log")
    return (f"the Docker engine at {address} does not answer",
            "check DOCKER_HOST, or unset it to use the local engine")


def engine_status(timeout: int = 5) -> EngineStatus:
    import docker
    address = engine_address()
    try:
        client = docker.DockerClient(base_url=address, timeout=timeout)
        info = client.version()
        client.close()
        return EngineStatus(True, address, info.get("Version", "?"), info.get("ApiVersion", "?"))
    except Exception as exc:  # docker-py raises several types for one cause
        problem, fix = explain(address, exc)
        return EngineStatus(False, address, problem=problem, fix=fix)


def connect(timeout: int = 120):
    """A docker-py client, or a DockyardError that says how to start the engine."""
    import docker
    status = engine_status()
    if not status.reachable:
        raise DockyardError(status.problem, status.fix)
    return docker.DockerClient(base_url=status.where, timeout=timeout)
