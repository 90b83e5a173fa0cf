"""Every lab, executed three ways with papermill against the real engine and cluster.

With solutions every check must pass; without them every check must say "not yet" and nothing
may raise. A check that passes on an empty attempt is caught by the second run. The third way
runs the lab's `wrong` cells, plausible wrong answers, in place of the solutions: run k tries the
k-th wrong answer of every exercise at once (each exercise is put right after its check, so the
next one starts from a good state), and each check must say "not yet" and name the mistake.
DOCKYARD_LABS=glob narrows the set.
"""
import os
from pathlib import Path

import nbformat
import papermill
import pytest

from dockyard.course.run import run_parameters
from dockyard.labs.lab import results_from_notebook
from support.leftovers import execute
from dockyard.course.variants import wrong_answer_run, wrong_runs
from dockyard.host.ports import free_port

REPO = Path(__file__).resolve().parents[2]
LABS = sorted((REPO / "labs").glob(os.environ.get("DOCKYARD_LABS", "*.ipynb")))


@pytest.fixture(autouse=True)
def fresh_progress(tmp_path, monkeypatch):
    """Each run starts with no saved progress (the kernel inherits this), as a new learner does."""
    monkeypatch.setenv("DOCKYARD_PROGRESS_DIR", str(tmp_path / "progress"))


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


def wrong_runs_of(labs) -> list:
    """(lab, k) for each run of wrong answers a lab needs, read from the notebooks themselves."""
    return [pytest.param(lab, k, id=f"{lab.stem}-wrong{k + 1}")
            for lab in labs for k in range(wrong_runs(nbformat.read(lab, as_version=4)))]


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
    from dockyard.course.variants import write_variant
    lab = REPO / "labs" / "01-docker-basics.ipynb"
    copy = next(p for p in write_variant(audience, [REPO / "labs"], REPO / "build" / "variants" / audience)
                if p.name == lab.name)
    params = {k: v for k, v in parameters(copy, solutions=False).items() if k != "solutions"}
    output = execute(copy, params, suffix=f"-{audience}")
    results = results_from_notebook(nbformat.read(output, as_version=4))
    assert [r["ok"] for r in results["results"]] == [all_done] * results["total"]


@pytest.mark.notebook
@pytest.mark.parametrize("lab, index", wrong_runs_of(LABS))
def test_lab_with_wrong_answers_says_what_is_wrong(lab, index):
    """Run k: every exercise's k-th wrong answer in place of its solution; its check names the mistake."""
    notebook, tried = wrong_answer_run(nbformat.read(lab, as_version=4), index)
    source = REPO / "build" / "wrong-answers" / f"{lab.stem}-wrong{index + 1}.ipynb"
    source.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, source)
    output = execute(source, parameters(lab, solutions=True))
    results = results_from_notebook(nbformat.read(output, as_version=4))
    assert results is not None, f"{source.name} published no summary"
    rows = {r["exercise"]: r for r in results["results"]}
    problems = []
    for key, cell in tried.items():
        mistake = cell.source.splitlines()[0].removeprefix("# wrong:").strip()
        expect = cell.metadata["dockyard"]["expect"]
        message = rows[key]["message"]
        if rows[key]["ok"] or not message.startswith("not yet: "):
            problems.append(f"{cell.id} ({mistake}): the check let it pass: {message!r}")
        elif expect not in message:
            problems.append(f"{cell.id} ({mistake}): the check says {message!r}, without {expect!r}")
    problems += [f"{key} ran its solution in this run, yet: {row['message']!r}"
                 for key, row in rows.items() if key not in tried and not row["ok"]]
    assert not problems, "\n".join(problems)


@pytest.mark.notebook
def test_progress_and_work_survive_a_kernel_restart():
    """Lab 1 solved in one kernel; a new kernel (a restart) without solutions still has the saved
    score and the learner's containers, and its checks pass on them."""
    lab = REPO / "labs" / "01-docker-basics.ipynb"
    params = {**parameters(lab, solutions=True), "cleanup": False}
    execute(lab, params, suffix="-before-restart")
    output = execute(lab, {**params, "solutions": False, "cleanup": True}, suffix="-after-restart")
    executed = nbformat.read(output, as_version=4)
    said = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "welcome back: 3 of 3 done" in said, said[:500]
    # The containers were kept: the last two checks pass again on them (the first says "not yet"
    # now, truthfully: exercise 3 stopped that server).
    ok = {r["exercise"]: r["ok"] for r in results_from_notebook(executed)["results"]}
    assert ok["once"] and ok["stop"], ok
