"""How long each code cell of an executed notebook took, and which ones keep a room waiting.

Issue #17: a presenter's cell should answer in about 2 s. A cell that cannot (an image build, a
cluster wait) is tagged `slow` in the notebook, so it is known and announced, not a surprise.
"""
from __future__ import annotations

import re
from datetime import datetime

SLOW_SECONDS = 2.0
SIGNS_META = "dockyard_signs"   # written by course/signs.py: first sign, longest silence, count
SLOW_TAG = "slow"
# `make test` runs two lanes on this machine's two cores and one disk, so one run of a cell is not
# what a presenter waits: the same untagged cell took 0.7 s, 1.7 s and 6.1 s in three runs. A cell
# keeps the room waiting when it was slow in every run of it in the suite (each Docker notebook runs
# on two engines, each lab cell in several runs of its lab), over three times the goal.
SHARED_MACHINE_FACTOR = 3.0
# The runs a room sees: each notebook on the kit's own engine, each lab with its solutions.
PRESENTER_RUN = re.compile(r"(notebooks/[^/]+\.ipynb|labs/[^/]+\.ipynb-solved)")
# Any run of a notebook or lab, by the name `make test` records: its source is the first group.
ANY_RUN = re.compile(r"(?:build/variants/\w+/)?((?:notebooks|labs)/[^/]+?\.ipynb).*"
                     r"|build/wrong-answers/(.+)-wrong\d+\.ipynb")


def _moment(stamp: str) -> datetime:
    # nbclient writes "...Z"; fromisoformat accepts that only from Python 3.11
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def cell_seconds(cell: dict) -> float | None:
    """The kernel's own time for the cell; papermill's duration (which adds a save) if that is missing."""
    meta = cell.get("metadata", {})
    execution = meta.get("execution", {})
    start, end = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
    if start and end:
        try:
            return max(0.0, (_moment(end) - _moment(start)).total_seconds())
        except ValueError:
            pass
    duration = meta.get("papermill", {}).get("duration")
    return float(duration) if isinstance(duration, (int, float)) else None


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default), so 5 cells give a usable p90."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def first_line(source) -> str:
    text = "".join(source) if isinstance(source, list) else (source or "")
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= 80 else line[:79] + "…"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def summarize(nb: dict, slow_after: float = SLOW_SECONDS) -> dict:
    """Notebook JSON in, cell-time summary out. Cells that never ran (after a failure) are left out.

    `index` is the cell's position in the executed notebook, papermill's injected cell included.
    """
    times, slow, ran = [], [], []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        seconds = cell_seconds(cell)
        if seconds is None:
            continue
        times.append(seconds)
        ran.append(cell.get("id"))
        if seconds > slow_after:
            tags = list(cell.get("metadata", {}).get("tags", []))
            slow.append({"index": index, "id": cell.get("id"), "tags": tags,
                         "first_line": first_line(cell.get("source")),
                         "seconds": round(seconds, 2), "tagged": SLOW_TAG in tags,
                         **cell.get("metadata", {}).get(SIGNS_META, {})})
    return {"count": len(times), "median": _round(percentile(times, 0.5)),
            "p90": _round(percentile(times, 0.9)), "max": _round(max(times, default=None)),
            "slow_after": slow_after, "slow": slow, "ran": ran}


def untagged_slow_cells(summary: dict) -> list[dict]:
    """The slow cells nobody has tagged `slow` yet: the ones to speed up or to tag."""
    return [cell for cell in (summary or {}).get("slow", []) if not cell.get("tagged")]


def cell_table(timings: dict) -> list[str]:
    """Lines for `dockyard timings`: one row per notebook run that recorded its cells."""
    runs = {name: info["cells"] for name, info in timings.get("notebooks", {}).items()
            if isinstance(info, dict) and info.get("cells")}
    if not runs:
        return []
    width = max(len(name) for name in runs)
    fmt = "  {:<{w}}  {:>5}  {:>7}  {:>7}  {:>7}  {:>5}  {:>8}"
    lines = [f"cells (slow: over {SLOW_SECONDS:g} s)",
             fmt.format("notebook", "cells", "median", "p90", "max", "slow", "untagged", w=width)]
    for name in sorted(runs):
        s = runs[name]
        secs = [("-" if s.get(k) is None else f"{s[k]:.2f}s") for k in ("median", "p90", "max")]
        lines.append(fmt.format(name, s.get("count", 0), *secs, len(s.get("slow", [])),
                                len(untagged_slow_cells(s)), w=width))
    return lines


def presenter_runs(timings: dict) -> dict[str, dict]:
    """Cell summaries of the runs a room sees (not the test engines' runs, not the wrong answers)."""
    return {name: info["cells"] for name, info in timings.get("notebooks", {}).items()
            if isinstance(info, dict) and info.get("cells") and PRESENTER_RUN.fullmatch(name)}


def _source(run: str) -> str | None:
    m = ANY_RUN.fullmatch(run)
    if not m:
        return None
    return m.group(1) or f"labs/{m.group(2)}.ipynb"


def _in_every_run(timings: dict, flagged) -> tuple[list[str], list[str]]:
    """Slow cells of a presenter's run for which `flagged(cell)` holds: (in every run of that cell
    in the suite, in the one run there was). A run where the cell was fast, or not flagged, clears it."""
    runs = {name: info["cells"] for name, info in timings.get("notebooks", {}).items()
            if isinstance(info, dict) and info.get("cells")}
    every, once = [], []
    for name, summary in sorted(presenter_runs(timings).items()):
        for cell in summary.get("slow", []):
            if not flagged(cell) or cell.get("id") is None:
                continue
            others = [s for other, s in runs.items() if other != name and _source(other) == _source(name)
                      and cell.get("id") in s.get("ran", [])]
            cleared = [s for s in others if not any(c.get("id") == cell["id"] and flagged(c) for c in s.get("slow", []))]
            line = f"{name} cell {cell['index']} ({cell['seconds']:.1f} s, {len(others) + 1} run(s)): {cell['first_line']}"
            if "longest_silence" in cell and cell.get("tagged"):
                line += f" — {cell['longest_silence']:.1f} s without a sign"
            if not cleared:
                (every if others else once).append(line)
    return every, once


def keeps_the_room_waiting(timings: dict, factor: float = SHARED_MACHINE_FACTOR) -> tuple[list[str], list[str]]:
    """Untagged cells of a presenter's run over the gate: (slow in every run of that cell, to speed
    up or tag `slow` with the reason in a first-line comment; slow in the one run there was)."""
    gate = SLOW_SECONDS * factor
    return _in_every_run(timings, lambda cell: not cell.get("tagged") and cell["seconds"] > gate)


def shows_no_progress(timings: dict, factor: float = SHARED_MACHINE_FACTOR) -> tuple[list[str], list[str]]:
    """Tagged slow cells that showed nothing new for longer than the gate: the room sees a frozen
    cell. Returns (to fix, listed). To fix: silent over the gate in every run of the cell, or over
    twice the gate in the one run there was. A wait's progress line ticks by the clock, so a busy
    machine stretches a silence far less than it stretches a cell's time."""
    gate = SLOW_SECONDS * factor
    every, once = _in_every_run(timings, lambda cell: cell.get("tagged") and cell.get("longest_silence", 0) > gate)
    frozen = _in_every_run(timings, lambda cell: cell.get("tagged") and cell.get("longest_silence", 0) > 2 * gate)[1]
    return every + frozen, [line for line in once if line not in frozen]
