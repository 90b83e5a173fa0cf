import pytest

from dockyard.course.workspace import seed
from dockyard.errors import DockyardError


def notebook(path, solution="web = 1"):
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("solutions = False", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(solution, metadata={"tags": ["solution"]}),
                nbformat.v4.new_raw_cell("# wrong: port 80", metadata={"tags": ["wrong"]})]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def make_source(tmp_path):
    src = tmp_path / "kit"
    for name in ("notebooks/00-start-here.ipynb", "labs/01-docker-basics.ipynb"):
        notebook(src / name)
    return src


def test_the_workspace_holds_the_learners_copy(tmp_path):
    import nbformat
    src, ws = make_source(tmp_path), tmp_path / "ws"
    seed(ws, src)
    lab = nbformat.read(ws / "labs/01-docker-basics.ipynb", as_version=4)
    assert [c.cell_type for c in lab.cells] == ["code", "code"], "no wrong answers in the learner's copy"
    assert lab.cells[1].metadata["jupyter"]["source_hidden"], "the solution is folded"


def test_seed_copies_what_is_missing_and_never_overwrites(tmp_path):
    src, ws = make_source(tmp_path), tmp_path / "ws"
    copied, kept = seed(ws, src)
    assert [p.name for p in copied] == ["00-start-here.ipynb", "01-docker-basics.ipynb"] and kept == []
    (ws / "notebooks/00-start-here.ipynb").write_text("{the learner's answers}")
    notebook(src / "notebooks/01-new.ipynb")
    copied, kept = seed(ws, src)
    assert [p.name for p in copied] == ["01-new.ipynb"]
    assert (ws / "notebooks/00-start-here.ipynb").read_text() == "{the learner's answers}"
    assert len(kept) == 2


def test_a_workspace_inside_the_checkout_is_refused(tmp_path):
    src = make_source(tmp_path)
    with pytest.raises(DockyardError, match="inside the kit's checkout"):
        seed(src / "ws", src)
    with pytest.raises(DockyardError):
        seed(src, src)
    seed(src / "build" / "browser", src)   # build/ is ignored by git: tests may put one there


def test_jupyterlab_on_the_network_needs_a_password():
    from dockyard.course.jupyterlab import exposure_refusal, lab_command
    assert exposure_refusal("127.0.0.1", None) is None
    assert exposure_refusal("localhost", None) is None
    assert exposure_refusal("::1", None) is None
    what, fix = exposure_refusal("0.0.0.0", None)
    assert "anyone on the network" in what and "DOCKYARD_LAB_PASSWORD" in fix
    assert exposure_refusal("192.168.1.20", "a-secret") is None
    command = lab_command("0.0.0.0", 8888, password="a-secret")
    assert "--IdentityProvider.token=" in command, "no token beside the password"
    assert not any("a-secret" in part for part in command), "only the hash is on the command line"
