"""The lab frame, lab names and the presenter/learner variants: pure logic, no engine."""
import nbformat

from dockyard import versions
from dockyard.course.jupyterlab import lab_command
from dockyard.course.variants import PRESENTER_CELL, to_variant
from dockyard.labs.lab import Lab, lab_labels, lab_name, missing, named, passed, results_from_notebook


def test_verdicts_chain_with_and_to_the_first_thing_missing():
    first = missing("no container yet")
    assert not (passed() and first and missing("later"))
    assert (passed() and first and missing("later")).message == "no container yet"
    assert passed() and passed()


def test_lab_records_checks_and_scores(capsys):
    lab = Lab("demo", {"a": "First", "b": "Second", "c": "Third"})
    lab.check("a", "a is done", passed())
    lab.check("b", "b is done", missing("b is missing"))
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["✓ a is done", "✗ not yet: b is missing"]
    rows = lab.rows()
    assert [r["ok"] for r in rows] == [True, False, False]
    assert [r["checked"] for r in rows] == [True, True, False]
    assert rows[2]["message"].startswith("not checked yet")
    assert lab.score() == (1, 3)


def test_lab_refuses_an_unknown_exercise():
    lab = Lab("demo", {"a": "First"})
    try:
        lab.check("zzz", "done", passed())
    except KeyError as err:
        assert "zzz" in str(err)
    else:
        raise AssertionError("an unknown exercise key must not be recorded")


def test_lab_labels_carry_workshop_and_lab():
    assert lab_labels("registry", "w1") == {versions.LABEL_KEY: "w1", versions.LAB_LABEL_KEY: "registry"}


def test_names():
    assert lab_name("01-docker-basics") == "docker-basics"
    assert lab_name("docker-basics") == "docker-basics"
    assert named("", "web") == "web" and named("t1", "web") == "t1-web"


def test_results_are_read_back_from_an_executed_notebook():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("lab.summary()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.dockyard.lab+json": {"lab": "x", "done": 1, "total": 3}, "text/plain": "x"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# x"), cell]
    assert results_from_notebook(nb)["done"] == 1
    assert results_from_notebook(nbformat.v4.new_notebook()) is None


def lab_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("name_prefix = ''\nsolutions = False  # True runs them", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("<details><summary>Hint</summary>\nuse run()\n</details>", metadata={"tags": ["hint"]}),
        nbformat.v4.new_code_cell("%%solution\nclient.containers.run()", metadata={"tags": ["solution"]}),
    ]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="old output")]
    return nb


def test_learner_variant_folds_solutions_and_hints():
    out = to_variant(lab_notebook(), "learner")
    params, hint, solution = out.cells
    assert "solutions = False" in params.source
    assert "<details>" in hint.source and "open" not in hint.source
    assert solution.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert solution.outputs == []
    assert hint.metadata["editable"] is False and hint.metadata["deletable"] is False
    assert "editable" not in solution.metadata and "editable" not in params.metadata


def test_presenter_variant_shows_solutions_opens_hints_and_enlarges_output():
    source = lab_notebook()
    out = to_variant(source, "presenter")
    params, presenter, hint, solution = out.cells
    assert "solutions = True  # True runs them" in params.source
    assert presenter.source == PRESENTER_CELL
    assert "<details open>" in hint.source
    assert "jupyter" not in solution.metadata
    assert "editable" not in hint.metadata, "the presenter may edit anything"
    assert source.cells[1].source.startswith("<details>"), "the source notebook is left as it was"


def test_jupyterlab_command_serves_the_start_notebook_on_the_given_address():
    command = lab_command("127.0.0.1", 8899, token="abc", open_browser=False)
    assert command[1] == "lab"
    assert "--ip=127.0.0.1" in command and "--port=8899" in command and "--no-browser" in command
    assert "--IdentityProvider.token=abc" in command
    assert "--LabApp.default_url=/lab/tree/notebooks/00-start-here.ipynb" in command


def test_file_and_label_checks_say_what_is_missing(tmp_path):
    from dockyard.labs import checks as check
    dockerfile = tmp_path / "Dockerfile"
    assert check.file_contains(dockerfile, "FROM").message.startswith("no file")
    dockerfile.write_text("FROM x\n")
    assert check.file_contains(dockerfile, "FROM")
    assert "'CMD'" in check.file_contains(dockerfile, "FROM", "CMD").message
    assert check.has_lab_label({versions.LAB_LABEL_KEY: "registry"}, "image x", "registry")
    assert "labels=LABELS" in check.has_lab_label({}, "image x", "registry").message


def test_nothing_answers_on_a_closed_port():
    from dockyard.host.ports import free_port
    from dockyard.labs import checks as check
    url = f"http://127.0.0.1:{free_port()}/"
    assert check.http_get(url, timeout=1) is None
    assert check.nothing_answers(url)
    assert check.answers(url, wait=0).message == f"nothing answers on {url}"
