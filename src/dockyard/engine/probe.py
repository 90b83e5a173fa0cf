"""Reach the Docker engine the `docker` CLI uses (DOCKER_HOST, a docker context, or the default socket)."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from dockyard.engine.context import DEFAULT_CONTEXT, PLATFORM_DEFAULT, Endpoint, resolve, tls_settings
from dockyard.errors import DockyardError

DEFAULT_SOCKET = "/var/run/docker.sock"


@dataclass
class EngineStatus:
    reachable: bool
    where: str
    version: str = ""
    api_version: str = ""
    problem: str = ""      # why it is not reachable, in words
    fix: str = ""          # the command that fixes it
    endpoint: Endpoint | None = None   # None when the docker context itself is broken


def engine_address() -> str:
    """The engine's URL, chosen as the docker CLI chooses it."""
    return resolve().host


def client_kwargs(endpoint: Endpoint, timeout: int) -> dict:
    """Arguments for docker.DockerClient that reach `endpoint`."""
    import docker
    kwargs = {"base_url": endpoint.host, "timeout": timeout}
    tls = tls_settings(endpoint)
    if tls:
        kwargs["tls"] = docker.tls.TLSConfig(**tls)
    if endpoint.host.startswith("ssh://"):
        kwargs["use_ssh_client"] = True   # the ssh program, as the CLI does (no paramiko needed)
    return kwargs


def open_client(endpoint: Endpoint | None = None, timeout: int = 120):
    import docker
    return docker.DockerClient(**client_kwargs(endpoint or resolve(), timeout))


def _looks_like_desktop(endpoint: Endpoint) -> bool:
    host = endpoint.host
    return (endpoint.context.startswith("desktop") or "/.docker/run/" in host
            or "/.docker/desktop/" in host or "dockerDesktop" in host)


def _start_hint(endpoint: Endpoint) -> str:
    if _looks_like_desktop(endpoint):
        return "start Docker Desktop"
    if (endpoint.socket_path or "").startswith("/run/user/"):   # rootless: the user's own dockerd
        return "start it with `systemctl --user start docker`"
    return f"start the engine at {endpoint.host}"


def _switch_back(endpoint: Endpoint) -> str:
    """How to fall back to the local engine, given what chose this one."""
    if endpoint.source == "DOCKER_HOST":
        return "unset DOCKER_HOST"
    if endpoint.source.startswith("DOCKER_CONTEXT"):
        return "unset DOCKER_CONTEXT"
    return "run `docker context use default`"


def _as_endpoint(address: str | Endpoint) -> Endpoint:
    """A bare address, as callers passed before contexts: a socket is treated as the local one."""
    if isinstance(address, Endpoint):
        return address
    return Endpoint(DEFAULT_CONTEXT, address, PLATFORM_DEFAULT if address.startswith("unix://") else "DOCKER_HOST")


def explain(address: str | Endpoint, exc: Exception | None, platform: str | None = None) -> tuple[str, str]:
    """Turn a failed connection into (what happened, what to do)."""
    platform = sys.platform if platform is None else platform
    endpoint = _as_endpoint(address)
    text = str(exc or "")
    path = endpoint.socket_path
    if path and os.path.exists(path) and ("Permission denied" in text or not os.access(path, os.R_OK | os.W_OK)):
        return (f"no permission to use {path}",
                "add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again)")
    if endpoint.tls and ("SSL" in text or "certificate" in text.lower()):
        return (f"TLS with {endpoint.host} failed ({endpoint.source})",
                f"check that endpoint's certificates (ca.pem, cert.pem, key.pem), or {_switch_back(endpoint)}")
    if endpoint.from_context:
        return (f"no engine answers at {endpoint.host}, the endpoint of Docker context "
                f"`{endpoint.context}` ({endpoint.source})",
                f"{_start_hint(endpoint)}, or use the local engine: {_switch_back(endpoint)}")
    if path:
        return _explain_socket(endpoint, path, platform)
    if endpoint.source == "DOCKER_HOST":
        return (f"the Docker engine at {endpoint.host} does not answer",
                "check DOCKER_HOST, or unset it to use the local engine")
    return f"the Docker engine at {endpoint.host} does not answer", "start Docker Desktop"


def _explain_socket(endpoint: Endpoint, path: str, platform: str) -> tuple[str, str]:
    # Another socket named by DOCKER_HOST (rootless, say): `dockyard engine up` would refuse it.
    elsewhere = endpoint.source == "DOCKER_HOST" and path != DEFAULT_SOCKET
    other_fix = f"{_start_hint(endpoint)}, or unset DOCKER_HOST to use the local engine"
    if not os.path.exists(path):
        if elsewhere:
            fix = other_fix
        elif platform == "linux":
            fix = "start it with `dockyard engine up` (or start Docker Desktop)"
        else:
            fix = "start Docker Desktop"
        return f"the Docker engine is not running (no socket at {path})", fix
    return (f"the socket {path} exists but the engine does not answer",
            other_fix if elsewhere else "restart it with `dockyard engine up`, and see /var/log/dockyard/dockerd.log")


def engine_status(timeout: int = 5) -> EngineStatus:
    try:
        endpoint = resolve()
    except DockyardError as exc:   # a named context that is missing or damaged
        return EngineStatus(False, "", problem=exc.what, fix=exc.fix)
    try:
        client = open_client(endpoint, timeout)
        info = client.version()
        client.close()
        return EngineStatus(True, endpoint.host, info.get("Version", "?"), info.get("ApiVersion", "?"),
                            endpoint=endpoint)
    except Exception as exc:  # docker-py raises several types for one cause
        problem, fix = explain(endpoint, exc)
        return EngineStatus(False, endpoint.host, problem=problem, fix=fix, endpoint=endpoint)


def connect(timeout: int = 120):
    """A docker-py client, or a DockyardError that says how to start the engine."""
    status = engine_status()
    if not status.reachable:
        raise DockyardError(status.problem, status.fix)
    return open_client(status.endpoint, timeout)
