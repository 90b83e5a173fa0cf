"""The presenter's copy as live slides (jupyterlab-rise): which cell opens a slide, which appears
as a fragment, which hides.

Made from the notebook's own structure and course.yml's deep dives, never kept by hand:
- the title cell opens the first slide; the code before the first section (parameters, the
  presenter's cell, setup) is a vertical slide below it, "Setup", run once before the talk;
- each `##` section (a slide point) opens a slide; a deeper heading opens a vertical slide;
- a live cell and its check are fragments: they appear, and run, in place on their slide;
  prose after a cell is a fragment too, so the slide tells its story in order;
- a deep dive (tagged `deep-dive` by journey.for_presenter) starts as a vertical slide: press
  → to skip it, ↓ to take it;
- the "where next" cell is the last slide.
"""
from __future__ import annotations

from dockyard.course.journey import DEEP_DIVE, NEXT, START, headings

SLIDE, SUBSLIDE, FRAGMENT, SAME, SKIP = "slide", "subslide", "fragment", "-", "skip"
# Long outputs scroll inside their slide; a live cell's output appears where it runs.
RISE_SETTINGS = {"scroll": True, "enable_chalkboard": False, "transition": "none"}


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _heading_level(cell) -> int | None:
    """The level of the heading a markdown cell opens with, if it opens with one."""
    if cell.cell_type != "markdown" or not cell.source.lstrip().startswith("#"):
        return None
    found = headings(cell.source)
    return found[0][0] if found else None


def slide_types(nb) -> list[str]:
    """One RISE slide type per cell of `nb`, by the rules above."""
    types: list[str] = []
    first_section = next((i for i, c in enumerate(nb.cells) if (_heading_level(c) or 9) <= 2 and i > 0), len(nb.cells))
    in_deep_dive = False
    for i, cell in enumerate(nb.cells):
        level, tags = _heading_level(cell), _tags(cell)
        opens_dive = DEEP_DIVE in tags and not in_deep_dive
        in_deep_dive = DEEP_DIVE in tags
        if i == 0 or NEXT in tags:
            kind = SLIDE
        elif START in tags:
            kind = SAME
        elif i < first_section:      # parameters, the presenter's cell, setup: one vertical slide
            kind = SUBSLIDE if cell.cell_type == "code" and SUBSLIDE not in types else SAME
        elif opens_dive or (level is not None and level >= 3):
            kind = SUBSLIDE
        elif level is not None:
            kind = SLIDE
        elif cell.cell_type == "raw":
            kind = SKIP
        elif cell.cell_type == "code" or types[-1] not in (SLIDE, SUBSLIDE):
            kind = FRAGMENT
        else:                        # prose right under its heading shows with it
            kind = SAME
        types.append(kind)
    return types


def add_slides(nb):
    """Write the slide types into `nb`'s cells (metadata.slideshow) and RISE's settings; in place."""
    for cell, kind in zip(nb.cells, slide_types(nb)):
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    nb.metadata["rise"] = dict(RISE_SETTINGS)
    return nb

