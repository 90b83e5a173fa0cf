"""The labs' `wrong` cells: where they sit, that no audience's copy has them, and how a test run
swaps them in. Pure: the notebooks are read, and the swapped-in cells run against a real Lab with
plain Python in place of an engine."""
from pathlib import Path

import nbformat
import pytest

from dockyard.course.variants import AUDIENCES, exercises, tags, to_variant, wrong_answer_run, wrong_meta, wrong_runs
from dockyard.labs.lab import Lab, missing, passed

REPO = Path(__file__).resolve().parents[2]
LABS = sorted((REPO / "labs").glob("*.ipynb"))


def read(path):
    return nbformat.read(path, as_version=4)


def test_there_are_labs_to_look_at():
    assert len(LABS) >= 5


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_each_exercise_has_two_wrong_answers_right_after_its_solution(lab):
    nb = read(lab)
    plan = exercises(nb)
    assert len(plan) >= 3, [e.key for e in plan]
    for e in plan:
        assert len(e.wrong) >= 2, f"exercise {e.key} has {len(e.wrong)} wrong answers"
        assert e.wrong == list(range(e.solution + 1, e.solution + 1 + len(e.wrong))), \
            f"the wrong answers of {e.key} are not right after its solution"
        for i in e.wrong:
            cell = nb.cells[i]
            # A raw cell: no kernel runs it, in a normal run, "Run All" or papermill.
            assert cell.cell_type == "raw", f"{cell.id} is a {cell.cell_type} cell"
            assert cell.source.startswith("# wrong: "), f"{cell.id} does not say its mistake first"
            meta = wrong_meta(cell)
            assert meta.get("exercise") == e.key, f"{cell.id} belongs to {meta.get('exercise')}, sits under {e.key}"
            assert isinstance(meta.get("expect"), str) and len(meta["expect"]) >= 10, cell.id
            compile(cell.source, cell.id, "exec")          # it is Python, ready to swap in
            compile(meta.get("undo", ""), f"{cell.id} undo", "exec")
    assert wrong_runs(nb) == max(len(e.wrong) for e in plan)


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_wrong_answers_of_one_exercise_name_different_mistakes(lab):
    for e in exercises(read(lab)):
        expects = [wrong_meta(read(lab).cells[i])["expect"] for i in e.wrong]
        assert len(set(expects)) == len(expects), f"{e.key}: two wrong answers expect the same words"


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_no_audience_copy_has_a_wrong_cell(lab, audience):
    out = to_variant(read(lab), audience)
    assert not [c.id for c in out.cells if "wrong" in tags(c)]
    assert not [c.id for c in out.cells if c.source.startswith("# wrong:")]
    assert all(c.cell_type != "raw" for c in out.cells)
    assert any("solution" in tags(c) for c in out.cells), "the solutions themselves stay"


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_learner_copy_locks_check_and_hint_cells_and_nothing_else(lab):
    learner, presenter = to_variant(read(lab), "learner"), to_variant(read(lab), "presenter")
    locked = [c for c in learner.cells if c.metadata.get("editable") is False]
    assert locked, "nothing locked"
    for cell in learner.cells:
        lab_own = "check" in tags(cell) or "hint" in tags(cell)
        assert (cell.metadata.get("editable") is False) == lab_own, (cell.id, tags(cell))
        assert (cell.metadata.get("deletable") is False) == lab_own, (cell.id, tags(cell))
    assert all("editable" not in c.metadata and "deletable" not in c.metadata for c in presenter.cells)
    assert all(c.metadata.get("editable", True) for c in learner.cells if "exercise" in tags(c)), \
        "the learner's own cells stay editable"
    nbformat.validate(learner)


# --- the test run, on a small notebook of plain Python ------------------------------------------

def small_lab():
    """Three exercises over a dict: `a` and `b` build on each other, `c` stands alone."""
    code, raw, md = nbformat.v4.new_code_cell, nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell

    def wrong(exercise, n, source, expect, **extra):
        cell = raw(f"# wrong: {source}", metadata={"tags": ["wrong"], "dockyard": {
            "exercise": exercise, "expect": expect, **extra}})
        cell.id = f"wrong-{exercise}-{n}"
        return cell

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        code("solutions = True", metadata={"tags": ["parameters"]}),
        code("state = {}\nlab = Lab('small', {'a': 'A', 'b': 'B', 'c': 'C'})"),
        md("## a"),
        code("%%solution\nstate['a'] = 1", metadata={"tags": ["solution"]}),
        wrong("a", 1, "a is two\nstate['a'] = 2", "a is 2", undo="state.pop('a')"),
        wrong("a", 2, "a is missing and this raises\nraise RuntimeError('boom')", "no a"),
        code("lab.check('a', 'a is one', passed() if state.get('a') == 1 else "
             "missing('a is 2' if 'a' in state else 'no a'))", metadata={"tags": ["check"]}),
        code("%%solution\nstate['b'] = state['a'] + 1", metadata={"tags": ["solution"]}),
        wrong("b", 1, "b from nothing\nstate['b'] = 0", "b is not a + 1", put_right=False),
        code("lab.check('b', 'b follows a', passed() if state.get('b') == state.get('a', 0) + 1 "
             "else missing('b is not a + 1'))", metadata={"tags": ["check"]}),
        code("%%solution\nstate['c'] = 'c'", metadata={"tags": ["solution"]}),
        wrong("c", 1, "c upper\nstate['c'] = 'C'", "c is upper"),
        wrong("c", 2, "c twice\nstate['c'] = 'cc'", "c is doubled"),
        code("lab.check('c', 'c is c', passed() if state.get('c') == 'c' else "
             "missing({'C': 'c is upper', 'cc': 'c is doubled'}.get(state.get('c'), 'no c')))",
             metadata={"tags": ["check"]}),
    ]
    return nb


def run_cells(nb) -> Lab:
    """Run the code cells the way the kernel does with solutions = True (no engine needed)."""
    ns = {"Lab": Lab, "passed": passed, "missing": missing}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        body = "\n".join(lines[1:]) if lines and lines[0] == "%%solution" else cell.source
        exec(compile(body, cell.get("id", "cell"), "exec"), ns)
    return ns["lab"]


def test_the_small_lab_passes_as_it_is_and_its_wrong_cells_never_run():
    lab = run_cells(small_lab())
    assert lab.score() == (3, 3)


def test_run_k_swaps_in_the_k_th_wrong_answer_of_each_exercise():
    nb = small_lab()
    assert [(e.key, len(e.wrong)) for e in exercises(nb)] == [("a", 2), ("b", 1), ("c", 2)]
    assert wrong_runs(nb) == 2
    first, tried = wrong_answer_run(nb, 0)
    assert {k: c.id for k, c in tried.items()} == {"a": "wrong-a-1", "b": "wrong-b-1", "c": "wrong-c-1"}
    assert not [c for c in first.cells if "wrong" in tags(c) or c.cell_type == "raw"]
    assert not [c for c in first.cells if "solution" in tags(c)], "each tried solution is replaced"
    ids = [c.id for c in first.cells]
    assert "right-a" in ids, "a is put right: b builds on it"
    assert "right-b" not in ids, "put_right: false"
    assert "right-c" not in ids, "the last exercise needs no putting right"
    nbformat.validate(first)
    lab = run_cells(first)
    assert {r["exercise"]: r["message"] for r in lab.rows()} == {
        "a": "not yet: a is 2", "b": "not yet: b is not a + 1", "c": "not yet: c is upper"}

    second, tried = wrong_answer_run(nb, 1)
    assert set(tried) == {"a", "c"}, "b has one wrong answer: run 2 keeps its solution"
    assert sum("solution" in tags(c) for c in second.cells) == 1
    lab = run_cells(second)   # a's wrong answer raises: printed, as a learner would see it
    rows = {r["exercise"]: r for r in lab.rows()}
    assert rows["a"]["message"] == "not yet: no a"
    assert rows["b"]["ok"], "b runs its solution on an `a` that was put right"
    assert rows["c"]["message"] == "not yet: c is doubled"


def test_putting_right_fails_loudly_when_the_solution_does_not_pass():
    nb = small_lab()
    nb.cells[4].metadata["dockyard"]["undo"] = "state['a'] = 5"
    nb.cells[3].source = "%%solution\nstate['a'] = state.get('a', 0) + 1"   # 5 + 1: still wrong
    out, _ = wrong_answer_run(nb, 0)
    with pytest.raises(AssertionError, match="exercise 'a' is still not right after its solution"):
        run_cells(out)
