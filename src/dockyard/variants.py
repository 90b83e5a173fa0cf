"""One source, two audiences: the presenter's copy and the learner's copy of every notebook.

- presenter: solutions run and show, hints are open, outputs are large (a first cell says so);
- learner: solution cells are folded away and do not run, hints stay folded until clicked.
Cells are chosen by their tags: `solution`, `hint`, `parameters`.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

AUDIENCES = ("presenter", "learner")
PRESENTER_CELL = ("# Presenter's copy: larger output, for the back of the room.\n"
                  "from dockyard.presenter import presenter_mode\n"
                  "presenter_mode()")
_SOLUTIONS_LINE = re.compile(r"^(solutions\s*=\s*)(True|False)", re.MULTILINE)
_DETAILS = re.compile(r"<details(\s+open)?>")


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
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if "parameters" in tags(cell):
            cell.source = _SOLUTIONS_LINE.sub(lambda m: m.group(1) + str(presenter), cell.source)
        if "solution" in tags(cell):
            _fold(cell, hidden=not presenter)
        if "hint" in tags(cell):
            cell.source = _DETAILS.sub("<details open>" if presenter else "<details>", cell.source)
    if presenter:
        import nbformat
        first = nbformat.v4.new_code_cell(PRESENTER_CELL, metadata={"tags": ["variant"]})
        first.id = "presenter-mode"   # a stable id: the copy is the same on every run
        at = next((i + 1 for i, c in enumerate(out.cells) if "parameters" in tags(c)), 0)
        out.cells.insert(at, first)
    return out


def write_variant(audience: str, folders: list[Path], out: Path) -> list[Path]:
    """Every notebook of `folders`, as `audience` sees it, under `out/<folder name>/`."""
    import nbformat
    written = []
    for folder in folders:
        for source in sorted(folder.glob("*.ipynb")):
            nb = nbformat.read(source, as_version=4)
            target = out / folder.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            variant = to_variant(nb, audience)
            nbformat.validator.normalize(variant)
            nbformat.write(variant, target)
            written.append(target)
    return written
