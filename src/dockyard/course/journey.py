"""The journey cells: where a notebook sits (its second cell), and where to go next (its last cell).

Both are markdown cells made from course.yml, tagged `journey-start` and `journey-next`;
`dockyard course apply` inserts or replaces them in every notebook and lab, and running it twice
changes nothing. 00-start-here's first journey cell is the whole journey, with both tracks.
Also here: a notebook's sections by heading, for the deep dives.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from dockyard.course.manifest import Course, Notebook, agenda, link, totals

START, NEXT = "journey-start", "journey-next"
MADE_BY = "<!-- made from course.yml by `dockyard course apply`: edit course.yml, not this cell -->"
OLD_NEXT = "## Where next"    # the hand-written last cell 00-start-here had before; apply replaces it
CLEAN = "`dockyard clean` in a terminal removes everything the workshop made."


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


# --- the cells ---------------------------------------------------------------------------------

def start_text(course: Course, path: Path) -> str:
    here = path.parent
    n = course.owner(path)
    whole = f"the whole journey: [00-start-here]({link(course.notebooks[0].path, here)})"
    if path == course.notebooks[0].path:
        return "\n".join([MADE_BY, "## The journey", "", totals(course), "",
                          agenda(course, here, labs_as_rows=True), "",
                          "Minutes are presenting times; *core: N* is the time without the notebook's deep dives "
                          "(optional sections a presenter may skip). Labs are done on your own: each checks "
                          "your work and gives a score."])
    if n.lab and path == n.lab.path:
        return "\n".join([MADE_BY, f"**Where you are:** the lab after [{n.name}]({link(n.path, here)}) · about "
                          f"{n.lab.minutes} min on your own · on the {n.track} path · {whole}"])
    full = [x.name for x in course.on("full")]
    core = [x.name for x in course.on("core")]
    place = f"notebook {full.index(n.name) + 1} of {len(full)} on the full path"
    place += (f", {core.index(n.name) + 1} of {len(core)} on the core path" if n.name in core
              else " (not on the core path)")
    time = f"about {n.minutes} min" + (f" ({n.core_minutes} without its deep dives)" if n.deep_dives else "")
    lines = [MADE_BY, f"**Where you are:** {place} · {time} · {whole}"]
    if n.deep_dives:
        dives = ", ".join(f"*{heading}* ({m} min)" for heading, m in n.deep_dives.items())
        lines += ["", f"Deep dives, optional (the core path skips them): {dives}."]
    return "\n".join(lines)


def _after(course: Course, n: Notebook, track: str) -> Notebook | None:
    on = course.on("full")
    later = on[on.index(n) + 1:]
    return next((x for x in later if track == "full" or x.track == "core"), None)


def next_text(course: Course, path: Path) -> str:
    here = path.parent
    n = course.owner(path)
    lines = [MADE_BY, "## Where next", ""]

    def notebook_line(x: Notebook) -> str:
        return f"[{x.name}]({link(x.path, here)}): {x.about} (about {x.minutes} min)"

    if n.lab and path == n.path:
        lines.append(f"First, on your own: [lab {n.lab.name}]({link(n.lab.path, here)}) "
                     f"(about {n.lab.minutes} min).")
        lines.append("")
    following = _after(course, n, "full")
    if following:
        lines.append(f"Next: {notebook_line(following)}.")
        core_next = _after(course, n, "core")
        if core_next and core_next is not following:
            lines += ["", f"On the core path, next is {notebook_line(core_next)}."]
    else:
        lines.append(f"This is the end of the journey. {CLEAN}")
    if path == course.notebooks[0].path:
        lines += ["", f"Any time: {CLEAN}"]
    return "\n".join(lines)


def _cell(source: str, tag: str, old=None):
    import nbformat
    cell = nbformat.v4.new_markdown_cell(source, metadata={"tags": [tag]})
    cell.id = old.get("id", tag) if old is not None else tag
    return cell


def apply(nb, course: Course, path: Path):
    """`nb` with its journey cells made from `course` (in place; returned). `path` is the notebook's
    path inside the repository, e.g. notebooks/04-containers.ipynb."""
    olds = {t: c for c in nb.cells for t in (START, NEXT) if t in _tags(c)}
    cells = [c for c in nb.cells if not {START, NEXT} & set(_tags(c))]
    if cells and cells[-1].cell_type == "markdown" and cells[-1].source.startswith(OLD_NEXT):
        cells.pop()
    at = 1 if cells and cells[0].cell_type == "markdown" else 0   # after the title cell
    cells.insert(at, _cell(start_text(course, path), START, olds.get(START)))
    cells.append(_cell(next_text(course, path), NEXT, olds.get(NEXT)))
    nb.cells = cells
    return nb


def journey_cells(nb) -> dict[str, str]:
    """The sources of the journey cells `nb` has now, and where they are ('start' must be the
    second cell, 'next' the last)."""
    found = {}
    for i, cell in enumerate(nb.cells):
        for tag in (START, NEXT):
            if tag in _tags(cell):
                found[tag] = (i, cell.source)
    return found


def differs(nb, course: Course, path: Path) -> list[str]:
    """What is not as course.yml says in `nb`'s journey cells (empty when they are right)."""
    import copy
    want = journey_cells(apply(copy.deepcopy(nb), course, path))
    have = journey_cells(nb)
    return [f"{tag}: {'missing' if tag not in have else 'not as course.yml says'}"
            for tag in (START, NEXT) if have.get(tag) != want[tag]]


def apply_all(course: Course, repo: Path) -> list[Path]:
    """Write the journey cells into every notebook and lab of the course; returns those changed."""
    import nbformat
    changed = []
    for path in course.stops():
        file = repo / path
        before = file.read_text()
        nb = apply(nbformat.reads(before, as_version=4), course, path)
        after = nbformat.writes(nb) + "\n"
        if after != before:
            file.write_text(after)
            changed.append(path)
    return changed


# --- sections and deep dives -------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Section:
    level: int
    heading: str
    start: int     # the cell with the heading
    end: int       # the first cell after the section (its subsections included)


def headings(markdown: str) -> list[tuple[int, str]]:
    found, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (m := _HEADING.match(line)):
            found.append((len(m.group(1)), m.group(2)))
    return found


def sections(nb) -> list[Section]:
    """Every heading of `nb` that opens a markdown cell, with the cells it covers."""
    heads = [(i, *headings(c.source)[0]) for i, c in enumerate(nb.cells)
             if c.cell_type == "markdown" and headings(c.source)
             and c.source.lstrip().startswith("#")]
    out = []
    for k, (i, level, text) in enumerate(heads):
        end = next((j for j, lv, _ in heads[k + 1:] if lv <= level), len(nb.cells))
        out.append(Section(level, text, i, end))
    # a heading further down a cell (e.g. "## 4. ..." then "### The writable layer ...")
    for i, c in enumerate(nb.cells):
        if c.cell_type == "markdown":
            for level, text in headings(c.source)[1:]:
                end = next((s.start for s in out if s.start > i and s.level <= level), len(nb.cells))
                out.append(Section(level, text, i, end))
    return sorted(out, key=lambda s: (s.start, s.level))


def deep_dive_sections(nb, course_notebook: Notebook) -> dict[str, Section | None]:
    """Each deep dive of the notebook with its section (None when no heading has that text)."""
    by_text = {s.heading: s for s in sections(nb)}
    return {h: by_text.get(h) for h in course_notebook.deep_dives}


def _names(source: str) -> tuple[set, set]:
    """(names a code cell defines, names it reads); magics and shell lines are left out."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(), set()
    defined, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return defined, read


def leaks(nb, section: Section) -> dict[str, int]:
    """Names defined only in `section` that a later cell reads: {name: that cell's index}.
    Skipping the section would break those cells. (By Python names only: a later cell that
    looks for a container the section made is not seen.)"""
    names = [_names(c.source) if c.cell_type == "code" else (set(), set()) for c in nb.cells]
    inside = set().union(*(names[i][0] for i in range(section.start, section.end)))
    found = {}
    for j in range(section.end, len(nb.cells)):
        defined, read = names[j]
        for name in sorted((read & inside) - defined):
            elsewhere = any(name in names[i][0] for i in range(j) if not section.start <= i < section.end)
            if not elsewhere:
                found.setdefault(name, j)
    return found


# --- the presenter's copy ----------------------------------------------------------------------

DEEP_DIVE = "deep-dive"   # the tag of every cell of a deep dive, in the presenter's copy


def for_presenter(nb, path: Path, course: Course | None = None):
    """Mark the presenter's copy of notebook `path` (in place): its presenting time in the
    journey cell, and each deep dive's heading cell says it may be skipped; every cell of a deep
    dive is tagged `deep-dive`. A notebook that is not in the course is left as it is."""
    from dockyard.course.manifest import load
    course = course or load()
    if Path(path) not in course.stops():
        return nb
    n = course.owner(Path(path))
    if Path(path) != n.path:    # a lab: its time is in its journey cell already
        return nb
    core = (f"; on the core path {n.core_minutes} min, skipping the deep dives marked 🔍 below"
            if n.track == "core" and n.deep_dives else
            "; not on the core path" if n.track != "core" else "")
    note = f"**Presenter:** about {n.minutes} min{core}."
    for cell in nb.cells:
        if START in _tags(cell):
            cell.source += "\n\n" + note
    for heading, section in deep_dive_sections(nb, n).items():
        if section is None:
            continue
        for cell in nb.cells[section.start:section.end]:
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if DEEP_DIVE not in tags:
                tags.append(DEEP_DIVE)
        cell = nb.cells[section.start]
        lines = cell.source.splitlines()
        at = next(i for i, line in enumerate(lines) if headings(line) and headings(line)[0][1] == heading)
        quote = (f"> 🔍 **Deep dive**, optional: a presenter may skip it (about {n.deep_dives[heading]} min; "
                 "the core path does); no later cell needs it.")
        follows = lines[at + 1:at + 2] != [""] and at + 1 < len(lines)
        lines[at + 1:at + 1] = ["", quote] + ([""] if follows else [])
        cell.source = "\n".join(lines)
    return nb
