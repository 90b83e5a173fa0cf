"""Privileged containers on a host whose capability bounding set is short.

Docker 20.10 asks runc for every capability the kernel knows. When the host (a light
VM, say) cannot grant one of them, `docker run --privileged` fails with
"unable to apply caps". Newer Docker filters the list itself; for 20.10 we register a
small OCI runtime in front of runc that removes, and only removes, what the host
cannot grant. It is installed only when the condition is detected.
"""
from __future__ import annotations

import json
from pathlib import Path

WRAPPER_PATH = Path("/usr/local/lib/dockyard/runc-capfilter")
RUNTIME_NAME = "dockyard-runc"
DAEMON_JSON = Path("/etc/docker/daemon.json")

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


def install(log=print) -> bool:
    """Write the wrapper and register it. Returns True when daemon.json changed."""
    WRAPPER_PATH.parent.mkdir(parents=True, exist_ok=True)
    WRAPPER_PATH.write_text(wrapper_source())
    WRAPPER_PATH.chmod(0o755)
    try:
        existing = json.loads(DAEMON_JSON.read_text()) if DAEMON_JSON.exists() else {}
    except ValueError as exc:
        from ..errors import DockyardError
        raise DockyardError(f"{DAEMON_JSON} is not valid JSON ({exc})", "fix or remove it, then run again")
    wanted = merged_daemon_config(existing)
    if wanted == existing:
        return False
    DAEMON_JSON.parent.mkdir(parents=True, exist_ok=True)
    DAEMON_JSON.write_text(json.dumps(wanted, indent=2) + "\n")
    log(f"registered {RUNTIME_NAME} in {DAEMON_JSON} (drops {', '.join(host_missing_capabilities())})")
    return True
