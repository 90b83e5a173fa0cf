"""One source, two audiences: the presenter's copy and the learner's copy of every notebook.

- presenter: solutions run and show, hints are open, outputs are large (a first cell says so), and
  the presenting time and the deep dives of course.yml are marked (journey.for_presenter);
- learner: solution cells are folded away and do not run, hints stay folded until clicked; the
  check and hint cells cannot be edited or deleted (`editable`/`deletable`, which JupyterLab honours).
Neither copy has the `wrong` cells: plausible wrong answers, kept in the source notebook for the
tests only (`wrong_answer_run` builds the notebook that runs them).
Cells are chosen by their tags: `solution`, `hint`, `check`, `parameters`, `wrong`.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

AUDIENCES = ("presenter", "learner")
PRESENTER_CELL = ("# Presenter's copy: larger output, for the back of the room.\n"
                  "from dockyard.lessons.presenter import presenter_mode\n"
                  "presenter_mode()")
_SOLUTIONS_LINE = re.compile(r"^(solutions\s*=\s*)(True|False)", re.MULTILINE)
_DETAILS = re.compile(r"<details(\s+open)?>")


LOCKED_FOR_LEARNER = ("check", "hint")   # the lab's own cells: a learner edits only theirs
WRONG = "wrong"                           # a plausible wrong answer: in no audience's copy


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _fold(cell, hidden: bool) -> None:
    jupyter = cell.setdefault("metadata", {}).setdefault("jupyter", {})
    if hidden:
        jupyter["source_hidden"] = True
        jupyter["outputs_hidden"] = True
    else:
        jupyter.pop("source_hidden", None)
        jupyter.pop("outputs_hidden", None)
        if not jupyter:
            cell["metadata"].pop("jupyter")


def to_variant(nb, audience: str):
    """A copy of notebook `nb` (an nbformat node) for `audience`, outputs stripped."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience is one of {AUDIENCES}, not {audience!r}")
    out = copy.deepcopy(nb)
    presenter = audience == "presenter"
    out.cells = [cell for cell in out.cells if WRONG not in tags(cell)]
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if "parameters" in tags(cell):
            cell.source = _SOLUTIONS_LINE.sub(lambda m: m.group(1) + str(presenter), cell.source)
        if "solution" in tags(cell):
            _fold(cell, hidden=not presenter)
        if "hint" in tags(cell):
            cell.source = _DETAILS.sub("<details open>" if presenter else "<details>", cell.source)
        if not presenter and any(t in tags(cell) for t in LOCKED_FOR_LEARNER):
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
    if presenter:
        import nbformat
        first = nbformat.v4.new_code_cell(PRESENTER_CELL, metadata={"tags": ["variant"]})
        first.id = "presenter-mode"   # a stable id: the copy is the same on every run
        at = next((i + 1 for i, c in enumerate(out.cells) if "parameters" in tags(c)), 0)
        out.cells.insert(at, first)
    return out


def write_variant(audience: str, folders: list[Path], out: Path) -> list[Path]:
    """Every notebook of `folders`, as `audience` sees it, under `out/<folder name>/`."""
    written = []
    for folder in folders:
        for source in sorted(folder.glob("*.ipynb")):
            written.append(write_copy(source, out / folder.name / source.name, audience))
    return written


def write_copy(source: Path, target: Path, audience: str) -> Path:
    """`audience`'s copy of the notebook `source`, written to `target`."""
    import nbformat
    copy = to_variant(nbformat.read(source, as_version=4), audience)
    if audience == "presenter":   # presenting time and deep dives, from course.yml; notebooks as slides
        from dockyard.course.journey import for_presenter
        for_presenter(copy, Path(source.parent.name) / source.name)
        if source.parent.name == "notebooks":
            from dockyard.course.slides import add_slides
            add_slides(copy)
    nbformat.validator.normalize(copy)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(copy, target)
    return target


# --- wrong answers, for the tests --------------------------------------------------------------
# A `wrong` cell is a raw cell (no kernel ever runs a raw cell, so neither a normal run nor
# "Run All" touches it) placed right after its exercise's solution. Its first line says the
# mistake (`# wrong: ...`); its metadata.dockyard holds `exercise` (the key of the check),
# `expect` (a phrase the check's message must contain) and, when the lab goes on from what the
# exercise made, `undo` (code that removes what the wrong answer made); `put_right: false` when
# the exercises after it do not build on it and its solution cannot simply follow it.


@dataclass
class Exercise:
    key: str
    solution: int            # cell indexes in the source notebook
    check: int
    wrong: list[int] = field(default_factory=list)


_CHECK_KEY = re.compile(r"""\.check(?:er)?\(\s*(?:exercise\s*=\s*)?(["'])(.+?)\1""")


def _check_key(source: str) -> str | None:
    m = _CHECK_KEY.search(source)
    return m.group(2) if m else None


def exercises(nb) -> list[Exercise]:
    """The exercises of a lab notebook, in order: each solution cell, the check cell after it
    (which names the exercise), and the wrong cells in between."""
    found, pending = [], None
    for i, cell in enumerate(nb.cells):
        if "solution" in tags(cell):
            pending = Exercise("", i, -1)
        elif WRONG in tags(cell) and pending is not None:
            pending.wrong.append(i)
        elif "check" in tags(cell) and pending is not None and cell.cell_type == "code":
            key = _check_key(cell.source)
            if key:
                pending.key, pending.check = key, i
                found.append(pending)
                pending = None
    return found


def wrong_meta(cell) -> dict:
    return cell.get("metadata", {}).get("dockyard", {})


def wrong_runs(nb) -> int:
    """How many runs it takes to try every wrong answer: run k tries the k-th of each exercise."""
    return max((len(e.wrong) for e in exercises(nb)), default=0)


def _body(source: str) -> str:
    lines = source.splitlines()
    return "\n".join(lines[1:] if lines and lines[0].startswith("%%") else lines)


_TRY_WRONG = """# test run: exercise `{key}`, wrong answer {n} ({cell_id}), in place of its solution
try:
    exec(compile({source!r}, "<wrong answer {cell_id}>", "exec"))
except Exception as err:   # a learner sees the error, then runs the check all the same
    print(f"{{type(err).__name__}}: {{err}}")"""

_PUT_RIGHT = """# test run: put exercise `{key}` right again (undo the wrong answer, run the solution, check
# quietly), so the exercises after it start where a learner who got it right would be
{undo}
{solution}
_lab = lab


class _MustPass:
    def __getattr__(self, name):
        return getattr(_lab, name)

    def check(self, exercise, done, verdict):
        verdict = verdict() if callable(verdict) else verdict
        assert verdict, f"exercise {{exercise!r}} is still not right after its solution: {{verdict.message}}"

    def checker(self, exercise, done):
        return lambda probe: self.check(exercise, done, probe) or probe


lab = _MustPass()
try:
{check}
finally:
    lab = _lab"""


def wrong_answer_run(nb, index: int):
    """The lab with the `index`-th wrong answer of each exercise in place of its solution.

    Every other solution stays, so with `solutions = True` the lab runs as a learner who gets
    everything right except these answers. After a wrong answer's check, its exercise is put
    right (undo, solution, a check that must pass) unless it is the last one, so one run tries
    one wrong answer of every exercise (`put_right: false` skips that step). Returns
    (notebook, {exercise: the wrong cell})."""
    import nbformat
    plan = exercises(nb)
    tried, put_right = {}, {}
    for e in plan:
        if len(e.wrong) > index:
            tried[e.solution] = e
            if e is not plan[-1] and wrong_meta(nb.cells[e.wrong[index]]).get("put_right", True):
                put_right[e.check] = e
    out = copy.deepcopy(nb)
    cells, chosen = [], {}
    for i, cell in enumerate(nb.cells):
        if WRONG in tags(cell):
            continue
        if i in tried:
            e = tried[i]
            wrong = nb.cells[e.wrong[index]]
            chosen[e.key] = wrong
            new = nbformat.v4.new_code_cell(_TRY_WRONG.format(
                key=e.key, n=index + 1, cell_id=wrong.get("id", ""), source=wrong.source),
                metadata={"tags": ["wrong-run"]})
            new.id = f"try-{wrong.get('id', e.key)}"
            cells.append(new)
            continue
        cells.append(copy.deepcopy(cell))
        if i in put_right:
            e = put_right[i]
            undo = wrong_meta(nb.cells[e.wrong[index]]).get("undo", "")
            check = "\n".join("    " + line if line else line for line in nb.cells[e.check].source.splitlines())
            new = nbformat.v4.new_code_cell(_PUT_RIGHT.format(
                key=e.key, undo=undo, solution=_body(nb.cells[e.solution].source), check=check),
                metadata={"tags": ["wrong-run"]})
            new.id = f"right-{e.key}"
            cells.append(new)
    out.cells = cells
    return out, chosen
