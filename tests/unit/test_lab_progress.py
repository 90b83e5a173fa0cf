"""A lab's progress on disk, recheck and catch_up: tmp folders and a tiny notebook, no engine."""
import json

import pytest

from dockyard.errors import DockyardError
from dockyard.labs import lab as labkit
from dockyard.labs.lab import Lab, missing, passed, solution_sources

EXERCISES = {"web": "Run a web server", "once": "Run a one-off command", "stop": "Stop it"}


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv(labkit.PROGRESS_ENV, raising=False)


def stored(folder, name="demo"):
    return json.loads((folder / f"{name}.json").read_text())


def test_each_check_is_written_at_once(tmp_path):
    lab = Lab("demo", EXERCISES, progress_dir=tmp_path)
    lab.check("web", "web runs", passed())
    assert stored(tmp_path)["exercises"]["web"]["status"] == "done"
    lab.check("once", "once ran", missing("no container `once`"))
    data = stored(tmp_path)
    assert data["lab"] == "demo" and data["format"] == 1
    assert data["exercises"]["once"] == {"status": "not yet", "message": "not yet: no container `once`",
                                         "time": data["exercises"]["once"]["time"]}
    assert data["exercises"]["web"]["message"] == "web runs"
    assert data["exercises"]["web"]["time"].endswith("+00:00")
    assert [p.name for p in tmp_path.iterdir()] == ["demo.json"], "no temporary file is left"


def test_a_new_lab_reads_earlier_results_back_and_says_so(tmp_path, capsys):
    first = Lab("demo", EXERCISES, progress_dir=tmp_path)
    first.check("web", "web runs", passed())
    first.check("once", "once ran", passed())
    first.check("stop", "stopped", missing("still running"))
    capsys.readouterr()
    again = Lab("demo", EXERCISES, progress_dir=tmp_path)
    assert capsys.readouterr().out == "welcome back: 2 of 3 done — run `lab.recheck()` to check again\n"
    assert again.resumed and again.score() == (2, 3)
    assert [r["status"] for r in again.rows()] == ["done", "done", "not yet"]
    assert again.rows()[2]["message"] == "not yet: still running"


def test_a_fresh_lab_says_nothing_and_is_not_resumed(tmp_path, capsys):
    lab = Lab("demo", EXERCISES, progress_dir=tmp_path)
    assert capsys.readouterr().out == "" and not lab.resumed


def test_results_of_exercises_the_lab_no_longer_has_are_dropped(tmp_path, capsys):
    Lab("demo", {"gone": "Old one", **EXERCISES}, progress_dir=tmp_path).check("gone", "ok", passed())
    capsys.readouterr()
    lab = Lab("demo", EXERCISES, progress_dir=tmp_path)
    assert not lab.resumed and capsys.readouterr().out == ""


@pytest.mark.parametrize("content", [b"{not json", b'["a list"]', b'{"exercises": {"web": {"status": "great"}}}',
                                     b"\xff\xfe half written"])
def test_a_corrupted_file_is_set_aside_with_one_line(tmp_path, capsys, content):
    (tmp_path / "demo.json").write_bytes(content)
    lab = Lab("demo", EXERCISES, progress_dir=tmp_path)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "set aside as demo.json.bad" in out and "Traceback" not in out
    assert (tmp_path / "demo.json.bad").read_bytes() == content
    assert not (tmp_path / "demo.json").exists() and lab.results == {}
    lab.check("web", "web runs", passed())
    assert stored(tmp_path)["exercises"]["web"]["status"] == "done", "and the lab goes on storing"


def test_where_progress_goes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Lab("demo", EXERCISES).check("web", "ok", passed())
    assert not (tmp_path / ".dockyard-progress").exists(), "outside a kernel nothing is stored by default"
    monkeypatch.setattr(labkit, "_in_kernel", lambda: True)
    monkeypatch.setenv("DOCKYARD_CACHE", str(tmp_path / "cache"))   # a kernel's lab claims its name there
    Lab("demo", EXERCISES).check("web", "ok", passed())
    assert stored(tmp_path / ".dockyard-progress")["exercises"]["web"]["status"] == "done"
    monkeypatch.setenv(labkit.PROGRESS_ENV, str(tmp_path / "elsewhere"))
    Lab("demo", EXERCISES).check("once", "ok", passed())
    assert list(stored(tmp_path / "elsewhere")["exercises"]) == ["once"]


def test_a_progress_file_that_cannot_be_written_does_not_stop_the_check(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    lab = Lab("demo", EXERCISES, progress_dir=blocker / "sub")
    lab.check("web", "web runs", passed())
    lab.check("once", "once ran", passed())
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("(earlier progress not read") and out[1].startswith("(progress not saved")
    assert out[2:] == ["✓ web runs", "✓ once ran"], "said once, and the checks still count"
    assert lab.score() == (2, 3)


def test_forget_drops_results_here_and_on_disk(tmp_path):
    lab = Lab("demo", EXERCISES, progress_dir=tmp_path)
    lab.check("web", "web runs", passed())
    lab.forget()
    assert lab.results == {} and not (tmp_path / "demo.json").exists()
    assert not Lab("demo", EXERCISES, progress_dir=tmp_path).resumed


def test_reset_forgets_progress_after_removing_what_the_lab_made(tmp_path, monkeypatch):
    import dockyard.ops.cleanup
    import dockyard.engine
    monkeypatch.setattr(dockyard.engine, "connect", lambda: "client")
    monkeypatch.setattr(dockyard.ops.cleanup, "reset_lab", lambda client, name, log: ["a", "b"])
    lab = Lab("demo", EXERCISES, progress_dir=tmp_path)
    lab.check("web", "web runs", passed())
    assert lab.reset() == 2
    assert not (tmp_path / "demo.json").exists() and lab.score() == (0, 3)


def test_a_check_given_a_function_runs_it_and_recheck_runs_it_again(tmp_path, capsys):
    lab = Lab("demo", EXERCISES, progress_dir=tmp_path)
    state = {"web": False}
    lab.check("web", "web runs", lambda: passed() if state["web"] else missing("no web"))

    @lab.checker("once", "once ran")
    def once_ran():
        return passed()

    lab.check("stop", "stopped", missing("still running"))   # the old form: not re-runnable
    assert [r["status"] for r in lab.rows()] == ["not yet", "done", "not yet"]
    assert callable(once_ran)
    capsys.readouterr()
    state["web"] = True
    data = lab.recheck()
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["✓ web runs", "✓ once ran",
                       "· Stop it: run its check cell once, then recheck() can run it again"]
    assert data["done"] == 2 and stored(tmp_path)["exercises"]["web"]["status"] == "done"


def test_a_check_function_must_give_a_verdict():
    lab = Lab("demo", EXERCISES)
    with pytest.raises(TypeError, match="not a Verdict"):
        lab.check("web", "web runs", lambda: True)
    with pytest.raises(KeyError):
        lab.checker("nope", "x")


def notebook(path, solutions):
    """A lab notebook in miniature: per exercise a solution cell, then its check cell."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Lab\n"]},
             {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
              "execution_count": None, "source": "solutions = False\n"}]
    for key, code in solutions.items():
        cells.append({"cell_type": "code", "metadata": {"tags": ["exercise"]}, "outputs": [],
                      "execution_count": None, "source": "# your code\n"})
        cells.append({"cell_type": "code", "metadata": {"tags": ["solution"]}, "outputs": [],
                      "execution_count": None, "source": ["%%solution\n", code]})
        cells.append({"cell_type": "code", "metadata": {"tags": ["check"]}, "outputs": [],
                      "execution_count": None,
                      "source": [f'lab.check("{key}", "done",\n', "          check.something())"]})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


SOLUTIONS = {"web": "ran.append('web')\n", "once": "ran.append('once')\n", "stop": "ran.append('stop')\n"}


def test_solution_sources_belong_to_the_check_that_follows(tmp_path):
    sources = solution_sources(notebook(tmp_path / "01-demo.ipynb", SOLUTIONS), EXERCISES)
    assert sources == {"web": ["ran.append('web')"], "once": ["ran.append('once')"],
                       "stop": ["ran.append('stop')"]}


def test_catch_up_runs_only_the_earlier_solutions_and_marks_them_caught_up(tmp_path, capsys):
    path = notebook(tmp_path / "01-demo.ipynb", SOLUTIONS)
    lab = Lab("demo", EXERCISES, progress_dir=tmp_path / "progress")
    namespace = {"ran": []}
    lab.catch_up(to="stop", notebook=path, namespace=namespace)
    assert namespace["ran"] == ["web", "once"]
    out = capsys.readouterr().out
    assert "caught up on 'Run a web server'" in out and "caught up on 'Run a one-off command'" in out
    assert [r["status"] for r in lab.rows()] == ["caught up", "caught up", None]
    assert lab.score() == (0, 3), "caught up is not done"
    assert stored(tmp_path / "progress")["exercises"]["once"]["status"] == "caught up"


def test_catch_up_skips_what_is_done_and_finds_the_notebook_in_the_cwd(tmp_path, monkeypatch):
    notebook(tmp_path / "01-demo.ipynb", SOLUTIONS)
    monkeypatch.chdir(tmp_path)
    lab = Lab("demo", EXERCISES)
    lab.check("web", "web runs", passed())
    namespace = {"ran": []}
    lab.catch_up(to="stop", namespace=namespace)
    assert namespace["ran"] == ["once"]
    lab.catch_up(to="stop", namespace=namespace)
    assert namespace["ran"] == ["once"], "caught up already: not run twice"


def test_catch_up_says_what_it_cannot_find(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lab = Lab("demo", EXERCISES)
    with pytest.raises(DockyardError, match="no notebook of lab demo"):
        lab.catch_up(to="stop", namespace={})
    with pytest.raises(DockyardError, match="no solution cell for once"):
        lab.catch_up(to="stop", notebook=notebook(tmp_path / "x.ipynb", {"web": "pass\n"}), namespace={})


def test_a_failing_solution_stops_the_catch_up_in_one_line(tmp_path, capsys):
    path = notebook(tmp_path / "01-demo.ipynb", {**SOLUTIONS, "once": "raise RuntimeError('name in use')\n"})
    lab = Lab("demo", EXERCISES)
    namespace = {"ran": []}
    lab.catch_up(to="stop", notebook=path, namespace=namespace)
    assert namespace["ran"] == ["web"]
    assert "✗ could not catch up on 'Run a one-off command': RuntimeError: name in use" in capsys.readouterr().out
    assert [r["status"] for r in lab.rows()] == ["caught up", None, None]


def test_the_summary_shows_caught_up_apart(tmp_path, capsys):
    path = notebook(tmp_path / "01-demo.ipynb", SOLUTIONS)
    lab = Lab("demo", EXERCISES, progress_dir=tmp_path)
    lab.catch_up(to="once", notebook=path, namespace={"ran": []})
    lab.check("web", "web runs", passed())       # passing after a catch-up is still caught up
    lab.check("once", "once ran", passed())
    lab.check("stop", "stopped", passed())
    capsys.readouterr()
    data = lab.summary()
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "demo: 2 of 3 exercises done (2 done, 1 caught up, 0 not yet)"
    assert "  ↷ Run a web server: caught up: web runs" in text
    assert (data["done"], data["caught_up"], data["not_yet"]) == (2, 1, 0)
    assert "1 caught up" in labkit.summary_html("demo", data["results"], 2, 3)
    capsys.readouterr()
    Lab("demo", EXERCISES, progress_dir=tmp_path)
    assert capsys.readouterr().out.startswith("welcome back: 2 of 3 done, 1 caught up — ")


def test_a_summary_without_catch_up_reads_as_before(capsys):
    lab = Lab("demo", EXERCISES)
    lab.check("web", "web runs", passed())
    capsys.readouterr()
    lab.summary()
    assert capsys.readouterr().out.splitlines()[0] == "demo: 1 of 3 exercises done"
