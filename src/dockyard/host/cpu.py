"""How busy the machine's CPUs were over a stretch of time, from two readings of /proc/stat.

`make test` reads it before and after the live tests: whether the CPUs idled while the notebooks
waited on containers and pods is what decides if running more at once would help.

    python -m dockyard.host.cpu start           # keep a reading in build/cpu-start.json
    python -m dockyard.host.cpu record "live tests"   # the shares since then, into timings.json
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

# /proc/stat's first line: cpu user nice system idle iowait irq softirq steal ...
FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def parse(stat_text: str) -> dict[str, int]:
    """Clock ticks of all CPUs together, by kind."""
    line = next(ln for ln in stat_text.splitlines() if ln.startswith("cpu "))
    return dict(zip(FIELDS, (int(v) for v in line.split()[1:len(FIELDS) + 1])))


def shares(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    """Percent of the CPUs' time between the readings: busy (working), waiting on disk, idle, and
    taken by the hypervisor for other machines (steal)."""
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in FIELDS}
    total = sum(delta.values())
    if total <= 0:
        return {"busy %": 0.0, "iowait %": 0.0, "idle %": 0.0, "steal %": 0.0}
    idle, iowait, steal = delta["idle"], delta["iowait"], delta["steal"]
    return {"busy %": round(100 * (total - idle - iowait - steal) / total, 1),
            "iowait %": round(100 * iowait / total, 1), "idle %": round(100 * idle / total, 1),
            "steal %": round(100 * steal / total, 1)}


def reading() -> dict:
    return {"ticks": parse(Path("/proc/stat").read_text()), "at": time.time()}


def main(argv: list[str]) -> int:
    from dockyard.paths import BUILD
    from dockyard.timings import record
    mark = BUILD / "cpu-start.json"
    if argv[:1] == ["start"]:
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.write_text(json.dumps(reading()))
        return 0
    if argv[:1] == ["record"] and len(argv) == 2 and mark.exists():
        start, now = json.loads(mark.read_text()), reading()
        record("machine", f"CPU over the {argv[1]}", now["at"] - start["at"], **shares(start["ticks"], now["ticks"]))
        return 0
    print("usage: python -m dockyard.host.cpu start | record LABEL (after start)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
