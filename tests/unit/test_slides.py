"""The presenter's copy as slides: each slide point a slide, its cells fragments, deep dives vertical."""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dockyard.course.slides import RISE_SETTINGS, add_slides, slide_types
from dockyard.course.variants import to_variant, write_copy
from dockyard.paths import REPO


def cell(kind, source, *tags):
    made = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
    made.metadata["tags"] = list(tags)
    return made


def small_notebook():
    return new_notebook(cells=[
        cell("md", "# 4 · Containers"), cell("md", "where you are", "journey-start"),
        cell("code", "prefix = 'dy-'", "parameters"), cell("code", "client = setup()"),
        cell("md", "## create"), cell("md", "A container that exists but does not run."),
        cell("code", "c = client.containers.create(...)"), cell("code", "expect(...)", "check"),
        cell("md", "What `created` means."), cell("code", "c.start()"),
        cell("md", "## Restart policies", "deep-dive"), cell("code", "policies = ...", "deep-dive"),
        cell("md", "### always", "deep-dive"), cell("code", "expect(...)", "check", "deep-dive"),
        cell("md", "## Clean up"), cell("code", "board.wait_refresh()"),
        cell("md", "where next", "journey-next")])


def test_the_structure_makes_the_slides():
    assert slide_types(small_notebook()) == [
        "slide", "-",                       # title, and where you are on it
        "subslide", "-",                    # setup: below the title, run once before the talk
        "slide", "-", "fragment", "fragment", "fragment", "fragment",   # a point: prose, then cells in turn
        "subslide", "fragment", "subslide", "fragment",                 # a deep dive: below, skippable
        "slide", "fragment",
        "slide"]                            # where next


def test_add_slides_writes_rise_metadata_into_every_cell():
    nb = add_slides(small_notebook())
    assert all(c.metadata["slideshow"]["slide_type"] for c in nb.cells)
    assert nb.metadata["rise"] == RISE_SETTINGS


def test_the_presenters_copy_of_a_notebook_is_slides_and_the_learners_is_not(tmp_path):
    source = REPO / "notebooks" / "04-containers.ipynb"
    presenter = nbformat.read(write_copy(source, tmp_path / "p" / "notebooks" / source.name, "presenter"), 4)
    learner = nbformat.read(write_copy(source, tmp_path / "l" / "notebooks" / source.name, "learner"), 4)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in presenter.cells]
    sections = sum(1 for c in presenter.cells if c.cell_type == "markdown" and c.source.startswith("## "))
    assert kinds.count("slide") + kinds.count("subslide") >= sections
    assert "rise" in presenter.metadata
    assert not any("slideshow" in c.metadata for c in learner.cells) and "rise" not in learner.metadata


def test_every_notebook_opens_with_a_slide_and_ends_with_where_next():
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = to_variant(nbformat.read(path, as_version=4), "presenter")
        kinds = slide_types(nb)
        assert kinds[0] == "slide" and kinds[-1] == "slide", path.name
        checks = [k for k, c in zip(kinds, nb.cells) if "check" in c.metadata.get("tags", [])]
        assert set(checks) <= {"fragment", "-"}, (path.name, set(checks))   # a check runs on its point's slide


def test_labs_are_not_slides(tmp_path):
    source = REPO / "labs" / "01-docker-basics.ipynb"
    copy = nbformat.read(write_copy(source, tmp_path / "labs" / source.name, "presenter"), 4)
    assert "rise" not in copy.metadata and Path(source).exists()
