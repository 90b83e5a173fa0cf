"""Notebooks are committed without outputs, and follow the kit's conventions."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(REPO.glob("notebooks/*.ipynb")) + sorted(REPO.glob("labs/*.ipynb"))


def test_there_are_notebooks():
    assert (REPO / "notebooks" / "00-start-here.ipynb") in NOTEBOOKS


def nbstripout_verify(paths) -> subprocess.CompletedProcess:
    """nbstripout --verify: would stripping change the file (outputs, execution counts, widget state)?
    --keep-id: the cells' ids are ours (the labs' wrong answers are named by them)."""
    return subprocess.run([sys.executable, "-m", "nbstripout", "--verify", "--keep-id", *map(str, paths)],
                          capture_output=True, text=True)


def test_notebooks_are_committed_stripped():
    result = nbstripout_verify(NOTEBOOKS)
    assert result.returncode == 0, ("notebooks are committed without outputs: "
                                    "`.venv/bin/nbstripout --keep-id FILE`\n" + result.stdout + result.stderr)


def test_the_strip_check_can_fail(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)", execution_count=1,
                                                                    outputs=[nbformat.v4.new_output("stream", text="1\n")])])
    nbformat.write(nb, tmp_path / "ran.ipynb")
    assert nbstripout_verify([tmp_path / "ran.ipynb"]).returncode == 1


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
    own = [c for c in nb.cells if not {"journey-start", "journey-next"} & set(c.metadata.get("tags", []))]
    assert "lab.summary()" in own[-2].source + own[-1].source
