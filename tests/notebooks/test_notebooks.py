"""Every notebook, executed with papermill against the real engine and cluster, in course.yml's order.

DOCKYARD_NOTEBOOKS=glob narrows the set; DOCKYARD_NOTEBOOK_ORDER=reverse runs it backwards.
"""
import os
from pathlib import Path

import pytest

from dockyard.course.run import run_parameters
from support.leftovers import execute

REPO = Path(__file__).resolve().parents[2]


def notebooks():
    from dockyard.course.manifest import load
    order = [n.name for n in load().notebooks]   # one not in course.yml runs last (a unit test flags it)
    found = sorted((REPO / "notebooks").glob(os.environ.get("DOCKYARD_NOTEBOOKS", "*.ipynb")),
                   key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.name))
    return found[::-1] if os.environ.get("DOCKYARD_NOTEBOOK_ORDER") == "reverse" else found


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", notebooks(), ids=lambda p: p.stem)
def test_notebook(notebook):
    execute(notebook, run_parameters(notebook))
