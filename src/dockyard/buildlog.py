"""Reading a classic `docker build` log: which steps came from the cache and which ran."""
from __future__ import annotations


def step_kinds(log: list[str]) -> list[str]:
    """One entry per "Step N/M : ..." line: "base" (FROM, or an ARG before the first FROM),
    "cached" (the step printed "---> Using cache") or "ran"."""
    kinds: list[str] = []
    seen_from = False
    current = None
    for line in log:
        if line.startswith("Step "):
            if current is not None:
                kinds.append(current)
            instruction = line.split(" : ", 1)[-1].strip().upper()
            if instruction.startswith("FROM"):
                current, seen_from = "base", True
            elif not seen_from:
                current = "base"
            else:
                current = "ran"
        elif current == "ran" and line.strip() == "---> Using cache":
            current = "cached"
    if current is not None:
        kinds.append(current)
    return kinds
