"""What this host has free: disk under a path, and memory (MemAvailable)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path


def free_disk_gb(path: str) -> float:
    usage = shutil.disk_usage(path)
    return usage.free / 2**30


def available_memory_gb(meminfo: str | None = None) -> float:
    """MemAvailable of this Linux host; 0.0 when unknown (not Linux, no /proc, an old kernel)."""
    if meminfo is None:
        if sys.platform != "linux":
            return 0.0
        try:
            meminfo = Path("/proc/meminfo").read_text()
        except OSError:
            return 0.0
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return 0.0
