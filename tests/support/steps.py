"""Timed steps and pytest's own results, for the tests that run the kit as a user would."""
from __future__ import annotations

import contextlib
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from dockyard import timings
@contextlib.contextmanager
def step(section: str, name: str, **extra):
    """Time one step into build/timings.json's `section`, passed or not."""
    started = time.monotonic()
    outcome = {"passed": False}
    try:
        yield outcome
        outcome["passed"] = True
    finally:
        timings.record(section, name, time.monotonic() - started, **extra, **outcome)


def junit_cases(path: Path) -> dict[str, tuple[float, str]]:
    """test id -> (seconds, passed|failed|skipped) from pytest's junit XML."""
    if not path.exists():
        return {}
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        cases[case.get("name")] = (float(case.get("time", 0)), outcome)
    return cases


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])
