"""Waiting for real things to become true, with a deadline and a plain-words error."""
from __future__ import annotations

import time

from dockyard.display import waiting
from dockyard.errors import DockyardError, WaitTimedOut


def wait_until(probe, timeout: float = 30.0, interval: float = 0.2, what: str = "the condition"):
    """Call `probe()` until it returns something truthy; return that. Exceptions count as "not yet"."""
    deadline = time.monotonic() + timeout
    last_error = None
    with waiting(what):
        while True:
            try:
                value = probe()
                if value:
                    return value
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
                last_error = exc
            if time.monotonic() >= deadline:
                detail = f" (last error: {last_error})" if last_error else ""
                raise WaitTimedOut(f"waited {timeout:.0f}s for {what}{detail}",
                                   "look at the container's logs: container.logs().decode()")
            time.sleep(interval)


def wait_http(url: str, timeout: float = 30.0, **request_args):
    """The first HTTP answer from `url`, whatever its status (a 401 also means "up")."""
    import requests

    def probe():
        # a Response is falsy for 4xx/5xx, so wrap it: any answer at all ends the wait
        return [requests.get(url, timeout=2, **request_args)]
    return wait_until(probe, timeout, what=f"an answer from {url}")[0]


def wait_health(container, timeout: float = 60.0, want: str = "healthy") -> str:
    """Wait for the engine's verdict on a container's HEALTHCHECK and return it: `want`, or
    "unhealthy" as soon as the engine says so (never swallowed: the caller's check compares it).
    Raises only when there is no verdict by the timeout, or the container has no HEALTHCHECK."""
    def probe():
        container.reload()
        health = container.attrs["State"].get("Health")
        if health is None:
            return ["no HEALTHCHECK"]
        status = health.get("Status", "")
        return [status] if status in (want, "unhealthy") else None
    status = wait_until(probe, timeout, interval=0.5, what=f"{container.name} to be {want}")[0]
    if status == "no HEALTHCHECK":
        raise DockyardError(f"{container.name} has no HEALTHCHECK", "add one to its image or to containers.run")
    return status
