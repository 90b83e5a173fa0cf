"""The frame of a lab: exercises, `%%solution` cells, checks that say "not yet", a score.

A check never raises because the learner's answer is wrong or missing: it says what is missing
and what to try. Only a broken environment (no engine, no cluster) raises, with one clear line.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from . import versions

# The summary cell publishes its results under this type too, so tests read them from the
# executed notebook instead of parsing printed text.
RESULTS_MIME = "application/vnd.dockyard.lab+json"
NOT_CHECKED = "not checked yet: run the exercise's check cell"


@dataclass
class Verdict:
    """What a check found. Falsy when something is missing, so checks chain with `and`."""
    ok: bool
    message: str = ""

    def __bool__(self) -> bool:
        return self.ok


def passed(message: str = "") -> Verdict:
    return Verdict(True, message)


def missing(message: str) -> Verdict:
    return Verdict(False, message)


def lab_labels(name: str, workshop: str = versions.DEFAULT_WORKSHOP) -> dict:
    """The labels a learner puts on what a lab makes: `clean` finds it, and so does `lab reset`."""
    return {versions.LABEL_KEY: workshop, versions.LAB_LABEL_KEY: name}


class Lab:
    """One lab notebook: its exercises in order, and what each check last found."""

    def __init__(self, name: str, exercises: dict[str, str], workshop: str = versions.DEFAULT_WORKSHOP):
        self.name = name
        self.exercises = dict(exercises)          # key -> title, in the order of the notebook
        self.labels = lab_labels(name, workshop)
        self.results: dict[str, Verdict] = {}
        _register_solution_magic()

    def check(self, exercise: str, done: str, verdict: Verdict) -> None:
        """Record and print one check: `✓ done`, or `✗ not yet: <what is missing>`.

        Returns nothing, so a check cell shows its line and no stray True/False."""
        if exercise not in self.exercises:
            raise KeyError(f"unknown exercise {exercise!r}; this lab has {list(self.exercises)}")
        shown = Verdict(True, done) if verdict.ok else Verdict(False, f"not yet: {verdict.message}")
        self.results[exercise] = shown
        print(f"{'✓' if shown.ok else '✗'} {shown.message}")

    def reset(self, log=print) -> int:
        """Remove what this lab's exercises made (`dockyard lab reset NAME` does the same)."""
        from .cleanup import reset_lab
        from .engine import connect
        return len(reset_lab(connect(), self.name, log=log))

    def rows(self) -> list[dict]:
        """One row per exercise, in order, including those never checked."""
        out = []
        for key, title in self.exercises.items():
            verdict = self.results.get(key)
            out.append({"exercise": key, "title": title, "ok": verdict is not None and verdict.ok,
                        "checked": verdict is not None,
                        "message": verdict.message if verdict is not None else NOT_CHECKED})
        return out

    def score(self) -> tuple[int, int]:
        rows = self.rows()
        return sum(r["ok"] for r in rows), len(rows)

    def summary(self):
        """The learner's progress across the lab, as a table (and as data for the tests)."""
        done, total = self.score()
        rows = self.rows()
        text = "\n".join([f"{self.name}: {done} of {total} exercises done"] +
                         [f"  {'✓' if r['ok'] else '✗'} {r['title']}: {r['message']}" for r in rows])
        data = {"lab": self.name, "done": done, "total": total, "results": rows}
        from .display import in_notebook
        if not in_notebook():
            print(text)
            return data
        from IPython.display import display
        display({RESULTS_MIME: data, "text/html": summary_html(self.name, rows, done, total),
                 "text/plain": text}, raw=True)
        return None


def summary_html(name: str, rows: list[dict], done: int, total: int) -> str:
    colour = "#1a7f37" if done == total else "#9a6700"
    lines = "".join(
        f"<tr><td style='font-size:1.3em'>{'✓' if r['ok'] else '✗'}</td>"
        f"<td style='text-align:left'><b>{html.escape(r['title'])}</b></td>"
        f"<td style='text-align:left'>{html.escape(r['message'])}</td></tr>" for r in rows)
    return (f"<div><h3 style='color:{colour}'>{html.escape(name)}: {done} of {total} exercises done</h3>"
            f"<table>{lines}</table></div>")


def lab_names(folder: Path) -> dict[str, Path]:
    """Lab name -> notebook: labs/01-docker-basics.ipynb is the lab `docker-basics`."""
    return {lab_name(p.stem): p for p in sorted(folder.glob("*.ipynb"))}


def lab_name(stem: str) -> str:
    head, _, rest = stem.partition("-")
    return rest if head.isdigit() and rest else stem


def results_from_notebook(nb) -> dict | None:
    """The summary a lab published, read from an executed notebook (nbformat node)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RESULTS_MIME in data:
                return data[RESULTS_MIME]
    return None


def _register_solution_magic() -> None:
    """`%%solution` runs its cell only when the notebook's `solutions` variable is True."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def solution(line, cell):
        # Read at each run, so setting `solutions = True` anywhere takes effect at once.
        if not shell.user_ns.get("solutions", False):
            print("(solution not run: write your own code in the cell above, "
                  "or set solutions = True to see it work)")
            return
        exec(compile(cell, "<solution>", "exec"), shell.user_ns)

    shell.register_magic_function(solution, magic_kind="cell", magic_name="solution")


def named(prefix: str, name: str) -> str:
    """`web` for a learner (no prefix); `t1a2b3-web` in a test run, so runs never collide."""
    return f"{prefix}-{name}" if prefix else name
