"""Wall times of every step, kept in build/timings.json so `make test` can report them."""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from dockyard.paths import BUILD


def timings_file() -> Path:
    return Path(os.environ.get("DOCKYARD_TIMINGS", BUILD / "timings.json"))


def record(section: str, name: str, seconds: float, **extra) -> None:
    """Add one measurement. Several processes write at once (the test lanes run side by side), so
    each read-modify-write holds a lock, and the file is replaced whole."""
    path = timings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.with_suffix(".lock")):
        data = json.loads(path.read_text()) if path.exists() else {}
        data.setdefault(section, {})[name] = {"seconds": round(seconds, 2), **extra}
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
        tmp.replace(path)


@contextmanager
def _locked(lock_path: Path):
    try:
        import fcntl
    except ImportError:   # Windows without WSL: one writer at a time is the user's own doing
        yield
        return
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def timed(section: str, name: str, **extra):
    start = time.monotonic()
    result: dict = {}
    try:
        yield result
    finally:
        record(section, name, time.monotonic() - start, **extra, **result)


def summary(data: dict) -> list[tuple[str, str, float]]:
    """Rows (section, name, seconds), slowest first within each section."""
    rows = []
    for section in sorted(data):
        items = sorted(data[section].items(), key=lambda kv: -kv[1].get("seconds", 0))
        rows += [(section, name, info.get("seconds", 0.0)) for name, info in items]
    return rows
