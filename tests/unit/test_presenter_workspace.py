"""`make present`: the presenter's copies in a workspace of their own, beside the learner's."""
import nbformat

from dockyard.course.workspace import presenter_dir, seed


def test_the_presenters_workspace_sits_beside_the_learners(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKYARD_WORKSPACE", str(tmp_path / "ws"))
    assert presenter_dir() == tmp_path / "ws-presenter"


def test_the_presenters_copies_are_slides_with_solutions_and_nothing_of_theirs_is_replaced(tmp_path):
    root = tmp_path / "ws-presenter"
    copied, kept = seed(root, audience="presenter")
    assert copied and not kept
    start = nbformat.read(root / "notebooks" / "05-info.ipynb", 4)
    assert "rise" in start.metadata and start.cells[0].metadata["slideshow"]["slide_type"] == "slide"
    lab = nbformat.read(root / "labs" / "01-docker-basics.ipynb", 4)
    assert any("solutions = True" in c.source for c in lab.cells if "parameters" in c.metadata.get("tags", []))
    (root / "notebooks" / "05-info.ipynb").write_text("mine")
    copied, kept = seed(root, audience="presenter")
    assert not copied and (root / "notebooks" / "05-info.ipynb").read_text() == "mine"
