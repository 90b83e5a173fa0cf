"""`dockyard engine up`: make sure a Docker engine answers.

On a machine that already has one (Docker Desktop, a systemd-managed dockerd) this
touches nothing. On a bare Debian or Ubuntu machine, as root, it installs Debian's
docker.io and starts dockerd by hand, logging to a file.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from ..errors import DockyardError
from . import capfilter
from .probe import DEFAULT_SOCKET, engine_status

LOG_DIR = Path("/var/log/dockyard")
DOCKERD_LOG = LOG_DIR / "dockerd.log"
DOCKERD_PIDFILE = Path("/var/run/docker.pid")   # dockerd writes it; a daemon in a container does not
STARTED_BY_US = LOG_DIR / "dockerd.started-by-dockyard"
DEBIAN_LIKE = {"debian", "ubuntu"}


def os_release(text: str | None = None) -> dict:
    if text is None:
        path = Path("/etc/os-release")
        text = path.read_text() if path.exists() else ""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k: v.strip().strip('"') for k, v in pairs}


def plan(reachable: bool, docker_host_set: bool, os_id: str, os_like: str, is_root: bool,
         has_dockerd: bool, missing_caps: list[str], runtime_registered: bool,
         started_by_us: bool = False) -> list[str]:
    """The steps `engine up` takes, decided from facts only (unit-tested).

    Steps: "nothing", "install", "capfilter", "start", "restart"; or a refusal
    starting with "refuse:" that explains why we will not act.
    """
    needs_filter = bool(missing_caps) and not runtime_registered
    if reachable:
        # A running engine: fix privileged containers only if we started it (never restart
        # a systemd-managed or Desktop engine behind its owner's back).
        if needs_filter and is_root and not docker_host_set and started_by_us:
            return ["capfilter", "restart"]
        return ["nothing"]
    if docker_host_set:
        return ["refuse: DOCKER_HOST points at an engine that does not answer; "
                "start that engine, or unset DOCKER_HOST to use a local one"]
    debian_like = os_id in DEBIAN_LIKE or bool(DEBIAN_LIKE & set(os_like.split()))
    if not debian_like:
        return ["refuse: no Docker engine answers and this is not Debian or Ubuntu; "
                "install Docker (Docker Desktop or your distribution's package) and start it"]
    if not is_root:
        return ["refuse: no Docker engine answers; run `sudo make lab` (installing it needs root) "
                "or start Docker yourself"]
    steps = [] if has_dockerd else ["install"]
    if needs_filter:
        steps.append("capfilter")
    return steps + ["start"]


def current_plan() -> list[str]:
    release = os_release()
    daemon = capfilter.DAEMON_JSON
    registered = daemon.exists() and capfilter.RUNTIME_NAME in daemon.read_text()
    return plan(reachable=engine_status().reachable,
                docker_host_set=bool(os.environ.get("DOCKER_HOST")),
                os_id=release.get("ID", ""), os_like=release.get("ID_LIKE", ""),
                is_root=os.geteuid() == 0, has_dockerd=bool(shutil.which("dockerd")),
                missing_caps=capfilter.host_missing_capabilities(),
                runtime_registered=registered, started_by_us=STARTED_BY_US.exists())


def apt_install(packages: list[str], log=print) -> None:
    """apt-get install, running `apt-get update` first (a fresh machine has no lists)."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log(f"apt-get install {' '.join(packages)}")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
            raise DockyardError(f"`{' '.join(cmd[:3])}` failed: {tail[0]}",
                                "check the apt sources in /etc/apt/sources.list.d and the network")


def _dockerd_pid() -> int | None:
    """The host's dockerd, from its pid file (pgrep would also find a dockerd inside a container)."""
    try:
        pid = int(DOCKERD_PIDFILE.read_text().strip())
        alive = Path(f"/proc/{pid}/comm").read_text().strip() == "dockerd"
    except (OSError, ValueError):
        return None
    return pid if alive else None


def stop_dockerd(timeout: float = 30) -> None:
    pid = _dockerd_pid()
    if pid is None:
        return
    os.kill(pid, 15)
    deadline = time.time() + timeout
    while time.time() < deadline and _dockerd_pid():
        time.sleep(0.2)


def start_dockerd(timeout: float = 60, log=print) -> None:
    """Start dockerd in the background, logging to a file, and wait until it answers."""
    if _dockerd_pid() is None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        # containerd comes with docker.io; dockerd starts its own when none runs.
        with open(DOCKERD_LOG, "ab") as out:
            subprocess.Popen(["dockerd"], stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        STARTED_BY_US.touch()
        log(f"started dockerd (log: {DOCKERD_LOG})")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(DEFAULT_SOCKET) and engine_status(timeout=2).reachable:
            return
        time.sleep(0.5)
    raise DockyardError(f"dockerd did not answer within {timeout:.0f}s",
                        f"read {DOCKERD_LOG} for the reason")


def engine_up(log=print) -> list[str]:
    """Carry out the plan. Idempotent: a second call finds the engine and does nothing."""
    steps = current_plan()
    if steps[0].startswith("refuse:"):
        what, _, fix = steps[0][len("refuse: "):].partition("; ")
        raise DockyardError(what, fix)
    for step in steps:
        if step == "install":
            apt_install(["docker.io"], log)
        elif step == "capfilter":
            capfilter.install(log)
        elif step == "restart":
            stop_dockerd()
            start_dockerd(log=log)
        elif step == "start":
            start_dockerd(log=log)
    return steps
