"""Read facts out of what the engine and containers report: capability masks, memory
figures, nested inspect fields, `name value` lines. Pure functions, so notebooks can show
tables instead of dict dumps and unit tests need no engine.
"""
from __future__ import annotations

from dockyard.engine.capfilter import CAPABILITY_NAMES


def capabilities(status_text: str, field: str = "CapEff") -> list[str]:
    """Capability names set in one line of /proc/<pid>/status (CapEff, CapBnd, CapPrm…)."""
    for line in status_text.splitlines():
        if line.startswith(f"{field}:"):
            mask = int(line.split()[1], 16)
            return [CAPABILITY_NAMES[n] if n < len(CAPABILITY_NAMES) else f"CAP_{n}"
                    for n in range(64) if mask >> n & 1]
    raise ValueError(f"no {field} line in the status text")


def memory_in_use(stats: dict) -> int:
    """Bytes a container really uses, from `container.stats(stream=False)`: the cgroup's usage
    less the page cache it could drop (what `docker stats` shows). cgroup v1 and v2 both."""
    mem = stats.get("memory_stats") or {}
    usage = mem.get("usage", 0)
    detail = mem.get("stats") or {}
    cache = detail.get("total_inactive_file", detail.get("inactive_file", detail.get("cache", 0)))
    return max(usage - cache, 0) if cache < usage else usage


def pick(attrs: dict, path: str, default=None):
    """attrs["State"]["Status"] as pick(attrs, "State.Status"); `default` when a step is missing."""
    value = attrs
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


def pairs(text: str) -> dict[str, str]:
    """`name value` lines (as printed by a small shell loop) into a dict."""
    out = {}
    for line in text.splitlines():
        name, _, value = line.strip().partition(" ")
        if name:
            out[name] = value.strip()
    return out
