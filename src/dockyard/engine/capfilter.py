"""Privileged containers on a host whose capability bounding set is short.

Docker 20.10 asks runc for every capability the kernel knows. When the host (a light
VM, say) cannot grant one of them, `docker run --privileged` fails with
"unable to apply caps". Newer Docker filters the list itself; for 20.10 we register a
small OCI runtime in front of runc that removes, and only removes, what the host
cannot grant. It is installed only when the condition is detected.
"""
from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from dockyard.errors import DockyardError

WRAPPER_PATH = Path("/usr/local/lib/dockyard/runc-capfilter")
RUNTIME_NAME = "dockyard-runc"
DAEMON_JSON = Path("/etc/docker/daemon.json")
# Beside daemon.json: the user's original, byte for byte, or a note that there was none.
BACKUP_SUFFIX = ".dockyard-backup"
NO_ORIGINAL_SUFFIX = ".dockyard-no-original"

# Names as runc spells them, indexed by capability number (linux/capability.h).
CAPABILITY_NAMES = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
]


def read_bounding_set(status_text: str) -> int:
    for line in status_text.splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    raise ValueError("no CapBnd line in /proc/self/status")


def missing_capabilities(bounding: int, last_cap: int) -> list[str]:
    """Capabilities the kernel knows (0..last_cap) that the bounding set lacks."""
    return [f"CAP_{CAPABILITY_NAMES[n]}" if n < len(CAPABILITY_NAMES) else f"CAP_{n}"
            for n in range(last_cap + 1) if not bounding >> n & 1]


def host_missing_capabilities() -> list[str]:
    bounding = read_bounding_set(Path("/proc/self/status").read_text())
    last_cap = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    return missing_capabilities(bounding, last_cap)


def merged_daemon_config(existing: dict) -> dict:
    """daemon.json with our runtime registered as the default; other settings kept."""
    config = dict(existing)
    runtimes = dict(config.get("runtimes", {}))
    runtimes[RUNTIME_NAME] = {"path": str(WRAPPER_PATH)}
    config["runtimes"] = runtimes
    config["default-runtime"] = RUNTIME_NAME
    return config


def unmerged_daemon_config(config: dict) -> dict:
    """daemon.json without what merged_daemon_config added; everything else kept."""
    config = dict(config)
    runtimes = dict(config.get("runtimes", {}))
    runtimes.pop(RUNTIME_NAME, None)
    if runtimes:
        config["runtimes"] = runtimes
    else:
        config.pop("runtimes", None)
    if config.get("default-runtime") == RUNTIME_NAME:
        del config["default-runtime"]
    return config


def carries_ours(config: dict) -> bool:
    return config.get("default-runtime") == RUNTIME_NAME or RUNTIME_NAME in config.get("runtimes", {})


def backup_paths(daemon_json: Path) -> tuple[Path, Path]:
    """(copy of the original, note that there was no original)."""
    return (daemon_json.with_name(daemon_json.name + BACKUP_SUFFIX),
            daemon_json.with_name(daemon_json.name + NO_ORIGINAL_SUFFIX))


def atomic_write(path: Path, write: Callable[[BinaryIO], object], mode: int | None = None) -> None:
    """Replace `path` in one step: readers (dockerd, a crash) see the old file or the new, never half.

    The mode (and owner, when we may) of the file being replaced is kept unless `mode` is given.
    """
    try:
        old = path.stat()
    except FileNotFoundError:
        old = None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode if mode is not None else stat.S_IMODE(old.st_mode) if old else 0o644)
        if old is not None:
            with contextlib.suppress(OSError):   # only root may hand a file to another owner
                os.chown(tmp, old.st_uid, old.st_gid)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # The rename itself must survive a power cut too.
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def json_writer(config: dict) -> Callable[[BinaryIO], None]:
    """Stream `config` as indented JSON (the same text as json.dumps(config, indent=2))."""
    def write(f: BinaryIO) -> None:
        for chunk in json.JSONEncoder(indent=2).iterencode(config):
            f.write(chunk.encode())
        f.write(b"\n")
    return write


def read_daemon_config(daemon_json: Path, rerun: str = "dockyard engine up") -> dict | None:
    """The parsed file, None when there is none; a one-line refusal when it is not a JSON object."""
    try:
        raw = daemon_json.read_bytes()
    except FileNotFoundError:
        return None
    try:
        config = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise DockyardError(f"{daemon_json} is not valid JSON ({exc}); dockyard changed nothing",
                            f"fix or remove it, then run `{rerun}` again")
    if not isinstance(config, dict):
        raise DockyardError(f"{daemon_json} is not a JSON object; dockyard changed nothing",
                            f"fix or remove it, then run `{rerun}` again")
    return config


# The wrapper itself. It runs for every container start and exec, so it stays tiny.
WRAPPER_SOURCE = '''#!/usr/bin/python3
"""OCI runtime in front of runc: drop capabilities this host cannot grant (dockyard)."""
import json, os, sys

def allowed():
    for line in open("/proc/self/status"):
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    return -1  # unknown: keep everything

NAMES = %(names)r

def keep(caps, bits):
    out = []
    for cap in caps:
        name = cap[4:] if cap.startswith("CAP_") else cap
        n = NAMES.index(name) if name in NAMES else -1
        if n < 0 or bits >> n & 1:
            out.append(cap)
    return out

def filter_process(process, bits):
    caps = process.get("capabilities") or {}
    for kind in list(caps):
        caps[kind] = keep(caps[kind] or [], bits)

def rewrite(path, inner):
    with open(path) as f:
        doc = json.load(f)
    filter_process(doc["process"] if inner else doc, allowed())
    with open(path, "w") as f:
        json.dump(doc, f)

args = sys.argv[1:]
for i, arg in enumerate(args):
    if arg in ("--bundle", "-b") and i + 1 < len(args):
        rewrite(os.path.join(args[i + 1], "config.json"), inner=True)
    elif arg.startswith("--bundle="):
        rewrite(os.path.join(arg.split("=", 1)[1], "config.json"), inner=True)
    elif arg in ("--process", "-p") and i + 1 < len(args):
        rewrite(args[i + 1], inner=False)
os.execv("%(runc)s", ["runc"] + args)
'''


def wrapper_source(runc_path: str = "") -> str:
    import shutil
    runc_path = runc_path or shutil.which("runc") or "/usr/bin/runc"
    return WRAPPER_SOURCE % {"names": CAPABILITY_NAMES, "runc": runc_path}


def install(log=print, daemon_json: Path = DAEMON_JSON, wrapper: Path = WRAPPER_PATH,
            missing: list[str] | None = None) -> bool:
    """Write the wrapper and register it as the default runtime. Returns True when daemon.json changed.

    The user's daemon.json is checked before anything is written, backed up once, and
    replaced atomically; a second call changes nothing.
    """
    existing = read_daemon_config(daemon_json)
    config = existing or {}
    missing = host_missing_capabilities() if missing is None else missing
    current = config.get("default-runtime")
    if current not in (None, RUNTIME_NAME):
        # Someone chose that runtime on purpose; replacing it would silently change their engine.
        raise DockyardError(
            f'{daemon_json} already sets "default-runtime": {json.dumps(current)}, which dockyard will '
            f"not replace, so privileged containers will fail here (the host cannot grant "
            f"{', '.join(missing) or 'a capability Docker asks for'})",
            f'to use dockyard\'s filter remove that "default-runtime" line, then run `dockyard engine up` again')

    source = wrapper_source()
    if not (wrapper.exists() and wrapper.read_text() == source):
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(wrapper, lambda f: f.write(source.encode()), mode=0o755)

    wanted = merged_daemon_config(config)
    if existing is not None and wanted == existing:
        return False
    daemon_json.parent.mkdir(parents=True, exist_ok=True)
    _keep_original(daemon_json, existing, log)
    atomic_write(daemon_json, json_writer(wanted))
    log(f"registered {RUNTIME_NAME} in {daemon_json} (drops {', '.join(missing)})")
    return True


def _keep_original(daemon_json: Path, existing: dict | None, log=print) -> None:
    """Back up the user's daemon.json the first time only, so restore gives back theirs, not ours."""
    backup, no_original = backup_paths(daemon_json)
    if backup.exists() or no_original.exists():
        return
    if existing is None:
        no_original.write_text(f"there was no {daemon_json.name} before dockyard; "
                               "`dockyard engine down --restore` removes dockyard's\n")
        return
    if carries_ours(existing):
        # Written by a kit that kept no backup: what is not ours is the user's.
        original = unmerged_daemon_config(existing)
        if not original:
            no_original.write_text(f"there was no {daemon_json.name} before dockyard (or it was empty); "
                                   "`dockyard engine down --restore` removes dockyard's\n")
            return
        atomic_write(backup, json_writer(original), mode=stat.S_IMODE(daemon_json.stat().st_mode))
    else:
        raw = daemon_json.read_bytes()
        atomic_write(backup, lambda f: f.write(raw), mode=stat.S_IMODE(daemon_json.stat().st_mode))
    log(f"kept the original {daemon_json.name} as {backup}")


def restore(log=print, daemon_json: Path = DAEMON_JSON) -> bool:
    """Give daemon.json back: the user's original, or no file if there was none.

    If daemon.json was edited after the install, those edits stay and only our runtime is
    taken out. Returns True when daemon.json changed. The wrapper goes separately
    (remove_wrapper), once no running engine uses it.
    """
    backup, no_original = backup_paths(daemon_json)
    rerun = "dockyard engine down --restore"
    current = read_daemon_config(daemon_json, rerun)   # invalid JSON: refuse, change nothing
    original_raw = backup.read_bytes() if backup.exists() else None
    original = (read_daemon_config(backup, rerun) if original_raw is not None else None) or {}
    recorded = original_raw is not None or no_original.exists()

    def put_original_back() -> None:
        mode = stat.S_IMODE(backup.stat().st_mode)
        atomic_write(daemon_json, lambda f: f.write(original_raw), mode=mode)
        log(f"put the original {daemon_json} back")

    changed = True
    if current is None and original_raw is not None:
        put_original_back()            # ours was deleted since: theirs comes back
    elif current is None or not carries_ours(current):
        changed = False                # nothing of ours left: their file stays as it is
    elif recorded and current == merged_daemon_config(original):
        if original_raw is not None:
            put_original_back()
        else:
            daemon_json.unlink()
            log(f"removed {daemon_json}: there was none before dockyard")
    else:
        kept = unmerged_daemon_config(current)
        if kept or original_raw is not None:
            atomic_write(daemon_json, json_writer(kept))
            log(f"took {RUNTIME_NAME} out of {daemon_json}; settings changed since the install are kept")
        else:
            daemon_json.unlink()
            log(f"removed {daemon_json}: it held only dockyard's settings")
    for path in (backup, no_original):
        path.unlink(missing_ok=True)
    return changed


def remove_wrapper(wrapper: Path = WRAPPER_PATH) -> bool:
    """Delete the wrapper, and its folder when nothing else is in it. True when it was there."""
    if not wrapper.exists():
        return False
    wrapper.unlink()
    with contextlib.suppress(OSError):
        wrapper.parent.rmdir()
    return True
