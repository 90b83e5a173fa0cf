"""Every lab, executed twice with papermill against the real engine and cluster.

With solutions every check must pass; without them every check must say "not yet" and nothing
may raise. A check that passes on an empty attempt is caught by the second run.
DOCKYARD_LABS=glob narrows the set.
"""
import os
from pathlib import Path

import nbformat
import papermill
import pytest

from dockyard.labkit import results_from_notebook
from dockyard.papermill_run import execute, run_parameters
from dockyard.ports import free_port

REPO = Path(__file__).resolve().parents[2]
LABS = sorted((REPO / "labs").glob(os.environ.get("DOCKYARD_LABS", "*.ipynb")))


def parameters(lab: Path, solutions: bool) -> dict:
    """The usual test parameters, plus a free host port for each `*_port` the lab declares."""
    params = {**run_parameters(lab), "solutions": solutions}
    declared = papermill.inspect_notebook(str(lab))
    params.update({name: free_port() for name in declared if name.endswith("_port")})
    return params


def run_lab(lab: Path, solutions: bool) -> dict:
    suffix = "-solved" if solutions else "-empty"
    output = execute(lab, parameters(lab, solutions), suffix=suffix)
    results = results_from_notebook(nbformat.read(output, as_version=4))
    assert results is not None, f"{lab.name} published no summary (its last cells must call lab.summary())"
    assert results["total"] >= 3, f"{lab.name} has only {results['total']} exercises"
    return results


def test_there_are_labs():
    assert len(LABS) >= 5 or os.environ.get("DOCKYARD_LABS"), [p.name for p in LABS]


@pytest.mark.notebook
@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_lab_with_solutions_passes_every_check(lab):
    results = run_lab(lab, solutions=True)
    failing = [f"{r['exercise']}: {r['message']}" for r in results["results"] if not r["ok"]]
    assert not failing, failing
    assert results["done"] == results["total"]


@pytest.mark.notebook
@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_lab_without_solutions_says_not_yet_everywhere(lab):
    results = run_lab(lab, solutions=False)
    passed_empty = [r["exercise"] for r in results["results"] if r["ok"]]
    assert not passed_empty, f"these checks pass on an empty attempt: {passed_empty}"
    unchecked = [r["exercise"] for r in results["results"] if not r["checked"]]
    assert not unchecked, f"these exercises were never checked: {unchecked}"
    assert all(r["message"].startswith("not yet: ") for r in results["results"])


@pytest.mark.notebook
@pytest.mark.parametrize("audience, all_done", [("presenter", True), ("learner", False)])
def test_each_audience_copy_runs_as_its_audience_expects(audience, all_done, tmp_path):
    """`dockyard variant`: the presenter's copy runs its solutions by default, the learner's does not."""
    from dockyard.variants import write_variant
    lab = REPO / "labs" / "01-docker-basics.ipynb"
    copy = next(p for p in write_variant(audience, [REPO / "labs"], REPO / "build" / "variants" / audience)
                if p.name == lab.name)
    params = {k: v for k, v in parameters(copy, solutions=False).items() if k != "solutions"}
    output = execute(copy, params, suffix=f"-{audience}")
    results = results_from_notebook(nbformat.read(output, as_version=4))
    assert [r["ok"] for r in results["results"]] == [all_done] * results["total"]
