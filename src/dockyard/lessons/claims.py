"""One running notebook at a time for a set of names on an engine.

Every notebook starts by clearing what its names hold, so running it twice is harmless; but a
second kernel running the same notebook with the same name_prefix would then remove the first
one's containers in the middle of its cells. So the first kernel holds a lock named after its
names and its engine, and a second one stops at its first cell with one line, before it makes
or removes anything. The lock goes with the kernel's process: a crashed or restarted kernel
holds nothing.
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from dockyard.errors import DockyardError

_held: dict[str, object] = {}   # key -> the open lock file, for as long as this process lives


def lock_path(names: str, engine: str, folder: Path) -> Path:
    key = hashlib.sha256(f"{engine}\n{names}".encode()).hexdigest()[:16]
    return folder / f"{key}.lock"


NOTEBOOK_FIX = "shut down that notebook's kernel, or give this one another name_prefix"


def claim(names: str, engine: str | None = None, folder: Path | None = None, fix: str = NOTEBOOK_FIX) -> str:
    """Hold `names` (a notebook's prefix or namespace) on this engine for this process; `names`.
    The same process may claim again (a cell run twice); another one gets a one-line error."""
    try:
        import fcntl
    except ImportError:   # Windows without WSL: no lock, as before
        return names
    if engine is None:
        from dockyard.engine.probe import engine_address
        engine = engine_address()
    if folder is None:
        from dockyard.paths import cache_dir
        folder = cache_dir() / "claims"
    path = lock_path(names, engine, folder)
    if str(path) in _held:
        return names
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise DockyardError(f"another running notebook already uses {names} on this engine ({holder})", fix) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"kernel pid {os.getpid()}, since {time.strftime('%H:%M')}")
    handle.flush()
    _held[str(path)] = handle
    return names
