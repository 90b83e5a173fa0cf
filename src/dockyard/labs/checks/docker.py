"""Docker checks: containers (running, exited, logs, labels, published ports), pages that answer, files."""
from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.labs.checks.words import command_advice, exit_words, short_error
from dockyard.labs.lab import Verdict, missing, passed
from dockyard.versions import LAB_LABEL_KEY
from dockyard.waits import wait_until


def _container(client, name: str, hint: str = ""):
    """(the container, None), or (None, a Verdict saying there is no such container yet).

    Test the second with `is not None`: a Verdict of something missing is falsy."""
    import docker
    try:
        return client.containers.get(name), None
    except docker.errors.NotFound:
        return None, missing(f"no container named `{name}` yet" + (f" (hint: {hint})" if hint else ""))


def container_state_words(attrs: dict) -> str:
    """A container's state as a sentence's end: 'was created but never started: …', 'is paused…'."""
    state = attrs.get("State") or {}
    status = state.get("Status", "")
    if status == "created":
        error = short_error(state.get("Error"))
        command = [attrs.get("Path") or ""] + list(attrs.get("Args") or []) if attrs.get("Path") else None
        return ("was created but never started" + (f": the engine said {error}" if error else
                                                   ": start it with .start(), or use containers.run")
                + command_advice(command, error))
    if status == "paused":
        return "is paused: frozen in memory, not stopped (`.unpause()` it; `.stop()` is what stops it)"
    if status == "exited":
        return f"has exited ({exit_words(state.get('ExitCode', 0))})"
    return f"is {status}"


def container_running(client, name: str, image: str | None = None, hint: str = "") -> Verdict:
    container, absent = _container(client, name, hint)
    if absent is not None:
        return absent
    if image and image not in container.image.tags:
        return missing(f"container `{name}` runs {container.image.tags or container.image.short_id}, "
                       f"not {image}: remove it (`.remove(force=True)`) and run it again from {image}")
    if container.status != "running":
        advice = ("" if container.status in ("created", "paused")
                  else ": run it with `detach=True` and a command that keeps running")
        return missing(f"container `{name}` {container_state_words(container.attrs)}{advice}")
    return passed()


def container_exited(client, name: str, exit_code: int = 0, hint: str = "") -> Verdict:
    container, absent = _container(client, name, hint)
    if absent is not None:
        return absent
    state = container.attrs["State"]
    if container.status == "running":
        return missing(f"container `{name}` is still running: give it a command that ends")
    if container.status != "exited":
        return missing(f"container `{name}` {container_state_words(container.attrs)}")
    code = state["ExitCode"]
    if code != exit_code:
        if code == 137 and exit_code == 0:
            return missing(f"container `{name}` was killed ({exit_words(code)}), not stopped: `.stop()` "
                           "sends SIGTERM first, so the program can end cleanly with 0; `.kill()` does not")
        return missing(f"container `{name}` exited with {exit_words(code)}, not {exit_code}")
    return passed()


def container_logs_contain(client, name: str, text: str) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    logs = container.logs().decode(errors="replace")
    if text not in logs:
        shown = f"it printed {logs.strip()[-80:]!r}" if logs.strip() else "it printed nothing"
        return missing(f"the log of `{name}` does not contain {text!r} ({shown})")
    return passed()


def has_lab_label(obj_labels: dict | None, what: str, lab: str) -> Verdict:
    """What the learner makes carries the lab's labels, so `dockyard lab reset` can find it."""
    if (obj_labels or {}).get(LAB_LABEL_KEY) != lab:
        return missing(f"{what} has no label {LAB_LABEL_KEY}={lab}: pass `labels=LABELS` when you create it, "
                       "so `dockyard lab reset` can remove it")
    return passed()


def container_labelled(client, name: str, lab: str) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    return has_lab_label(container.labels, f"container `{name}`", lab)


def describe_bindings(name: str, ports: dict | None, container_port: str, host: str, host_port: int) -> str | None:
    """What is wrong with a container's published ports (NetworkSettings.Ports), or None.

    Says which port was published instead: the usual mistake is the wrong side of the colon."""
    ports = ports or {}
    bindings = ports.get(container_port) or []
    if any(b.get("HostIp") == host and b.get("HostPort") == str(host_port) for b in bindings):
        return None
    use = f"use `ports={{'{container_port}': ('{host}', {host_port})}}`"
    if bindings:
        shown = ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}" for b in bindings)
        return f"container `{name}` publishes {container_port} on {shown}, not on {host}:{host_port}: {use}"
    others = {p: bs for p, bs in ports.items() if bs}
    if others:
        shown = ", ".join(f"{p} on {b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}"
                          for p, bs in sorted(others.items()) for b in bs)
        return (f"container `{name}` publishes {shown}, but the server inside listens on {container_port}: "
                f"nothing listens behind that port; {use}")
    return f"container `{name}` publishes no port, so nothing outside reaches the server on {container_port}: {use}"


def publishes(client, name: str, container_port: str, host: str, host_port: int) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    problem = describe_bindings(name, container.attrs["NetworkSettings"].get("Ports"), container_port, host, host_port)
    return missing(problem) if problem else passed()


def http_get(url: str, timeout: float = 3) -> tuple[int, bytes] | None:
    """(status, body) from a local URL, or None when nothing answers. No proxy is ever used."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except (urllib.error.URLError, OSError):
        return None


def answers(url: str, contains: str = "", wait: float = 5) -> Verdict:
    """The URL answers 200 (and its body holds `contains`); a just-started server gets `wait` seconds."""
    try:
        status, body = wait_until(lambda: http_get(url), timeout=wait, interval=0.5, what=f"an answer from {url}")
    except DockyardError:
        return missing(f"nothing answers on {url}")
    if status != 200:
        return missing(f"{url} answered HTTP {status}, not 200")
    if contains and contains.encode() not in body:
        return missing(f"{url} answered, but without {contains!r}")
    return passed()


def nothing_answers(url: str) -> Verdict:
    if http_get(url, timeout=1) is None:
        return passed()
    return missing(f"{url} still answers")


def file_contains(path: str | Path, *needles: str) -> Verdict:
    path = Path(path)
    if not path.exists():
        return missing(f"no file {path} yet")
    text = path.read_text(errors="replace")
    lacking = [n for n in needles if n not in text]
    if lacking:
        return missing(f"{path.name} does not contain {', '.join(repr(n) for n in lacking)} yet")
    return passed()
