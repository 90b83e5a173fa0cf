"""Notebooks are committed without outputs, and follow the kit's conventions."""
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(REPO.glob("notebooks/*.ipynb")) + sorted(REPO.glob("labs/*.ipynb"))


def test_there_are_notebooks():
    assert (REPO / "notebooks" / "00-start-here.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_are_stripped(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_first_and_checks_present(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell is tagged parameters"
    assert any("check" in c.metadata.get("tags", []) for c in code), "at least one check cell"
    assert nb.metadata.kernelspec.name == "dockyard"


LABS = sorted(REPO.glob("labs/*.ipynb"))


@pytest.mark.parametrize("path", LABS, ids=lambda p: p.name)
def test_each_lab_exercise_has_hint_empty_cell_solution_and_check(path):
    """Per exercise, in order: a hint, an empty cell for the learner, a %%solution cell, a check."""
    nb = nbformat.read(path, as_version=4)
    assert "solutions = False" in nb.cells[[i for i, c in enumerate(nb.cells)
                                            if "parameters" in c.metadata.get("tags", [])][0]].source
    order = [t for c in nb.cells for t in c.metadata.get("tags", []) if t in ("hint", "exercise", "solution")]
    assert order and order == ["hint", "exercise", "solution"] * (len(order) // 3), order
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "exercise" in tags:
            assert all(line.startswith("#") for line in cell.source.splitlines() if line.strip()), \
                "the learner's cell holds only a comment"
        if "solution" in tags:
            assert cell.source.startswith("%%solution\n"), "a solution runs only when solutions = True"
        if "hint" in tags:
            assert cell.cell_type == "markdown" and cell.source.startswith("<details>"), "hints start folded"
    assert "lab.summary()" in nb.cells[-2].source + nb.cells[-1].source
