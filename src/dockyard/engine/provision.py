"""`dockyard engine up`: make sure a Docker engine answers.

On a machine that already has one (Docker Desktop, a systemd-managed dockerd) this
touches nothing. On a bare Debian or Ubuntu machine, as root, it installs Debian's
docker.io and starts dockerd by hand, logging to a file; where systemd runs and a
docker.service is installed, it starts that service instead.
`dockyard engine down` stops only the dockerd the kit started; `--restore` also
gives daemon.json back and removes the capability filter.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dockyard.engine import capfilter
from dockyard.engine.probe import DEFAULT_SOCKET, engine_status
from dockyard.errors import CommandFailed, DockyardError

LOG_DIR = Path("/var/log/dockyard")
DOCKERD_LOG = LOG_DIR / "dockerd.log"
DOCKERD_PIDFILE = Path("/var/run/docker.pid")   # dockerd writes it; a daemon in a container does not
STARTED_BY_US = LOG_DIR / "dockerd.started-by-dockyard"   # {"pid": …, "start_time": …}
DEBIAN_LIKE = {"debian", "ubuntu"}
SYSTEMD_RUN_DIR = Path("/run/systemd/system")   # exists only when systemd is PID 1
DOCKER_UNIT = "docker.service"


def os_release(text: str | None = None) -> dict:
    if text is None:
        path = Path("/etc/os-release")
        text = path.read_text() if path.exists() else ""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k: v.strip().strip('"') for k, v in pairs}


def plan(reachable: bool, docker_host_set: bool, os_id: str, os_like: str, is_root: bool,
         has_dockerd: bool, missing_caps: list[str], runtime_registered: bool,
         started_by_us: bool = False, systemd: bool = False, systemd_unit: bool = False,
         no_permission: bool = False) -> list[str]:
    """The steps `engine up` takes, decided from facts only (unit-tested).

    Steps: "nothing", "install", "capfilter", "start" (dockerd by hand), "restart" (the
    dockerd we started), "systemd-start", "systemd-restart" (docker.service); or a refusal
    starting with "refuse:" that explains why we will not act.
    `systemd`: systemd is PID 1; `systemd_unit`: and a docker.service unit is installed.
    """
    needs_filter = bool(missing_caps) and not runtime_registered
    filter_step = ["capfilter"] if needs_filter else []
    if no_permission:
        return ["refuse: the engine runs but you may not use its socket; ask an administrator to add you "
                "to the docker group (`sudo usermod -aG docker $USER`), then log in again"]
    if reachable:
        # A running engine: fix privileged containers only if we started it (never restart
        # a systemd-managed or Desktop engine behind its owner's back).
        if needs_filter and is_root and not docker_host_set and started_by_us:
            return ["capfilter", "restart"]
        return ["nothing"]
    if docker_host_set:
        return ["refuse: DOCKER_HOST or a docker context points at an engine that does not answer; "
                "start that engine, or use the local one (unset DOCKER_HOST, `docker context use default`)"]
    if systemd_unit:
        # A system service: start it the way its owner would, not a second dockerd beside systemd.
        if not is_root:
            return [f"refuse: Docker's systemd service ({DOCKER_UNIT}) is installed but not running; "
                    "start it with `sudo systemctl start docker`"]
        return filter_step + ["systemd-start"]
    debian_like = os_id in DEBIAN_LIKE or bool(DEBIAN_LIKE & set(os_like.split()))
    if not debian_like:
        return ["refuse: no Docker engine answers and this is not Debian or Ubuntu; "
                "install Docker (Docker Desktop or your distribution's package) and start it"]
    if not is_root:
        if has_dockerd:
            return ["refuse: Docker is installed but not running, and starting it needs root; "
                    "ask an administrator to start it (`sudo systemctl enable --now docker`) and to add you "
                    "to the docker group (`sudo usermod -aG docker $USER`, then log in again)"]
        return ["refuse: no Docker engine answers, and installing one needs root; "
                "ask an administrator to install Debian's docker.io (`sudo apt-get install docker.io`) "
                "and to add you to the docker group (`sudo usermod -aG docker $USER`, then log in again); "
                "or run `sudo make lab`"]
    if has_dockerd:
        return filter_step + ["start"]
    if systemd:
        # docker.io's package starts docker.service itself, before the filter is registered.
        return ["install"] + filter_step + ["systemd-restart" if needs_filter else "systemd-start"]
    return ["install"] + filter_step + ["start"]


def current_plan() -> list[str]:
    status = engine_status()
    if sys.platform != "linux":  # Docker Desktop's engine: nothing here to install or start
        return ["nothing"] if status.reachable else [f"refuse: {status.problem}; {status.fix}"]
    from dockyard.engine.context import PLATFORM_DEFAULT, resolve
    release = os_release()
    daemon = capfilter.DAEMON_JSON
    registered = daemon.exists() and capfilter.RUNTIME_NAME in daemon.read_text()
    systemd = systemd_is_init()
    return plan(reachable=status.reachable, no_permission=status.problem.startswith("no permission"),
                docker_host_set=resolve().source != PLATFORM_DEFAULT,
                os_id=release.get("ID", ""), os_like=release.get("ID_LIKE", ""),
                is_root=os.geteuid() == 0, has_dockerd=bool(shutil.which("dockerd")),
                missing_caps=capfilter.host_missing_capabilities(),
                runtime_registered=registered, started_by_us=started_by_us(),
                systemd=systemd, systemd_unit=systemd and docker_unit_installed())


def systemd_is_init(run_dir: Path = SYSTEMD_RUN_DIR) -> bool:
    return run_dir.is_dir()


def unit_listed(list_unit_files: str, unit: str = DOCKER_UNIT) -> bool:
    """Whether `systemctl list-unit-files UNIT --no-legend` printed that unit."""
    return any(line.split()[:1] == [unit] for line in list_unit_files.splitlines())


def docker_unit_installed() -> bool:
    try:
        out = subprocess.run(["systemctl", "list-unit-files", DOCKER_UNIT, "--no-legend"],
                             capture_output=True, text=True, timeout=15).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return unit_listed(out)


def systemd_start(action: str = "start", timeout: float = 90, log=print) -> None:
    """`systemctl start|restart docker`, then wait until the engine answers."""
    cmd = ["systemctl", action, DOCKER_UNIT]
    fix = "see `systemctl status docker` and `journalctl -u docker`, or start the engine yourself"
    log(" ".join(cmd))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise DockyardError("systemd runs but systemctl is not on PATH", fix)
    except subprocess.TimeoutExpired:
        raise DockyardError(f"`{' '.join(cmd)}` did not finish within {timeout:.0f}s", fix)
    if proc.returncode != 0:
        raise CommandFailed.of(f"`{' '.join(cmd)}`", proc, fix)
    wait_until_answers(60, DOCKER_UNIT, "see `journalctl -u docker`")


# The marker names one process: pid and start time (field 22 of /proc/<pid>/stat), so a
# reused pid or a dockerd restarted by someone else is never taken for ours.

def proc_stat_fields(stat_text: str) -> tuple[int, str, int]:
    """(pid, state, start time in clock ticks after boot) from a /proc/<pid>/stat line."""
    # Field 2, the command name, may hold spaces and parentheses: count from its last ')'.
    head, _, tail = stat_text.rpartition(")")
    rest = tail.split()
    return int(head.split("(", 1)[0]), rest[0], int(rest[19])


def marker_text(pid: int, start_time: int) -> str:
    return json.dumps({"pid": pid, "start_time": start_time}) + "\n"


def parse_marker(text: str) -> tuple[int, int] | None:
    try:
        data = json.loads(text)
        return int(data["pid"]), int(data["start_time"])
    except (ValueError, TypeError, KeyError):
        return None


def marker_describes(marker: str, comm: str, stat_text: str) -> bool:
    """True when the marker names this very process: a live dockerd started when recorded."""
    recorded = parse_marker(marker)
    if recorded is None or comm.strip() != "dockerd":
        return False
    try:
        pid, state, start_time = proc_stat_fields(stat_text)
    except (ValueError, IndexError):
        return False
    return (pid, start_time) == recorded and state not in ("Z", "X")


def started_by_us(marker: Path = STARTED_BY_US, proc: Path = Path("/proc")) -> bool:
    try:
        text = marker.read_text()
        recorded = parse_marker(text)
        if recorded is None:
            return False
        comm = (proc / str(recorded[0]) / "comm").read_text()
        stat_text = (proc / str(recorded[0]) / "stat").read_text()
    except OSError:
        return False
    return marker_describes(text, comm, stat_text)


def record_started(pid: int, marker: Path = STARTED_BY_US, proc: Path = Path("/proc")) -> None:
    _, _, start_time = proc_stat_fields((proc / str(pid) / "stat").read_text())
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(marker_text(pid, start_time))


def apt_install(packages: list[str], log=print) -> None:
    """apt-get install, running `apt-get update` first (a fresh machine has no lists)."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log(f"apt-get install {' '.join(packages)}")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise CommandFailed.of(f"`{' '.join(cmd[:3])}`", proc,
                                   "check the apt sources in /etc/apt/sources.list.d and the network")


def _dockerd_pid() -> int | None:
    """The host's dockerd, from its pid file (pgrep would also find a dockerd inside a container)."""
    try:
        pid = int(DOCKERD_PIDFILE.read_text().strip())
        alive = Path(f"/proc/{pid}/comm").read_text().strip() == "dockerd"
    except (OSError, ValueError):
        return None
    return pid if alive else None


def stop_dockerd(timeout: float = 30, marker: Path = STARTED_BY_US) -> None:
    pid = _dockerd_pid()
    if pid is not None:
        os.kill(pid, 15)
        deadline = time.time() + timeout
        while time.time() < deadline and _dockerd_pid():
            time.sleep(0.2)
        if _dockerd_pid() == pid:
            raise DockyardError(f"dockerd (pid {pid}) did not stop within {timeout:.0f}s",
                                f"read {DOCKERD_LOG}; `kill -9 {pid}` if it hangs")
    with contextlib.suppress(OSError):
        marker.unlink(missing_ok=True)   # it described the dockerd that is now gone


def wait_until_answers(timeout: float, what: str, fix: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(DEFAULT_SOCKET) and engine_status(timeout=2).reachable:
            return
        time.sleep(0.5)
    raise DockyardError(f"{what} did not answer within {timeout:.0f}s", fix)


def start_dockerd(timeout: float = 60, log=print, marker: Path = STARTED_BY_US) -> None:
    """Start dockerd in the background, logging to a file, and wait until it answers."""
    if _dockerd_pid() is None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        # containerd comes with docker.io; dockerd starts its own when none runs.
        with open(DOCKERD_LOG, "ab") as out:
            proc = subprocess.Popen(["dockerd"], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        with contextlib.suppress(OSError, ValueError, IndexError):   # gone already: the wait says why
            record_started(proc.pid, marker)
        log(f"started dockerd (log: {DOCKERD_LOG})")
    wait_until_answers(timeout, "dockerd", f"read {DOCKERD_LOG} for the reason")


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
        elif step in ("systemd-start", "systemd-restart"):
            systemd_start(step.split("-", 1)[1], log=log)
    return steps


def _local_engine_runtimes(timeout: int = 5) -> set[str] | None:
    """The runtimes the local engine has loaded (`docker info`), or None when none answers."""
    import docker
    try:
        client = docker.DockerClient(base_url=f"unix://{DEFAULT_SOCKET}", timeout=timeout)
        try:
            return set(client.info().get("Runtimes") or {})
        finally:
            client.close()
    except Exception:  # docker-py raises several types for one cause
        return None


def engine_down(restore: bool = False, log=print, marker: Path = STARTED_BY_US,
                daemon_json: Path = capfilter.DAEMON_JSON, wrapper: Path = capfilter.WRAPPER_PATH) -> list[str]:
    """`dockyard engine down [--restore]`: stop the dockerd the kit started, never a systemd or
    Desktop one. With restore, also undo the capability filter (engine_restore)."""
    steps = []
    if started_by_us(marker):
        if os.geteuid() != 0:
            raise DockyardError("stopping the dockerd dockyard started needs root",
                                "run `sudo dockyard engine down`" + (" --restore" if restore else ""))
        stop_dockerd(marker=marker)
        log("stopped the dockerd dockyard started")
        steps.append("stop")
    else:
        with contextlib.suppress(OSError):
            marker.unlink(missing_ok=True)   # stale: the dockerd it named is gone
        if _dockerd_pid() is not None or _local_engine_runtimes() is not None:
            log("the running Docker engine was not started by dockyard, so it is left running")
    if restore:
        steps += engine_restore(log, marker, daemon_json, wrapper)
    return steps


def engine_restore(log=print, marker: Path = STARTED_BY_US, daemon_json: Path = capfilter.DAEMON_JSON,
                   wrapper: Path = capfilter.WRAPPER_PATH) -> list[str]:
    """Undo the capability filter: daemon.json as it was, the wrapper gone.

    dockerd is restarted only if the kit started it; any other engine keeps the old
    settings until its owner restarts it, and keeps the wrapper it still runs containers with.
    """
    try:
        changed = capfilter.restore(log, daemon_json)
    except PermissionError as exc:
        raise DockyardError(f"no permission to change {exc.filename}", "run `sudo dockyard engine down --restore`")
    steps = ["restore"] if changed else []

    def uses_wrapper() -> bool:
        runtimes = _local_engine_runtimes()
        return capfilter.RUNTIME_NAME in runtimes if runtimes is not None else _dockerd_pid() is not None

    in_use = uses_wrapper()
    if started_by_us(marker) and (changed or in_use):
        stop_dockerd(marker=marker)
        start_dockerd(log=log, marker=marker)
        steps.append("restart")
        in_use = uses_wrapper()
    if in_use and wrapper.exists():
        # Deleting it under a running engine would break every container start and exec.
        log(f"kept {wrapper}: the running Docker engine, not started by dockyard, still uses it — "
            "its owner must restart it (`sudo systemctl restart docker`, or restart Docker Desktop) "
            "for the restored daemon.json to apply, then run `dockyard engine down --restore` again")
        return steps
    try:
        if capfilter.remove_wrapper(wrapper):
            log(f"removed {wrapper}")
            steps.append("wrapper")
    except PermissionError as exc:
        raise DockyardError(f"no permission to remove {exc.filename}", "run `sudo dockyard engine down --restore`")
    return steps
