"""Host ports: find the published one, and refuse a taken one with a free alternative."""
from __future__ import annotations

import socket

from dockyard.errors import DockyardError


def is_free(host: str, port: int) -> bool:
    """Could Docker publish `port` on `host` now?"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Bind the way Docker's proxy does (Go sets SO_REUSEADDR): then the TIME_WAIT leftovers
        # of a container that just served the port do not count as taken, and a listener still does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            return True
        except OSError:
            return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def require_free(host: str, port: int) -> int:
    """`port` if it can be published on `host`; otherwise one clear line with a free one."""
    if is_free(host, port):
        return port
    raise DockyardError(f"port {port} on {host} is already in use",
                        f"stop what uses it (`ss -ltnp 'sport = :{port}'`) or use port {free_port(host)}")


def published_port(container, container_port: str) -> int:
    """The host port Docker chose for `container_port` (e.g. "80/tcp"), after a reload."""
    container.reload()
    bindings = container.ports.get(container_port) or []
    if not bindings:
        raise DockyardError(f"{container.name} publishes no {container_port}",
                            "run it with ports={...} to publish it")
    return int(bindings[0]["HostPort"])
