"""The course (course.yml): the notebooks in order, the lab after each, presenting times, two tracks.

The core path is the notebooks marked `core`, without their deep dives; the full path is every
notebook. The agenda (README, `dockyard course agenda`), the journey cells (journey.py), the
presenter's copy and the order of the notebook tests all read this one file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.paths import REPO

COURSE_FILE = REPO / "course.yml"
TRACKS = ("core", "full")          # the core path is part of the full path
AGENDA_START = "<!-- agenda: made from course.yml by `dockyard course apply`; edit course.yml, not this -->"
AGENDA_END = "<!-- /agenda -->"


class CourseError(DockyardError):
    """course.yml says something the kit cannot use."""


@dataclass(frozen=True)
class Lab:
    name: str
    minutes: int

    @property
    def path(self) -> Path:
        return Path("labs") / f"{self.name}.ipynb"


@dataclass(frozen=True)
class Notebook:
    name: str
    about: str
    minutes: int
    track: str
    lab: Lab | None = None
    deep_dives: dict[str, int] = field(default_factory=dict)   # heading text → minutes

    @property
    def path(self) -> Path:
        return Path("notebooks") / f"{self.name}.ipynb"

    @property
    def demo(self) -> bool:
        return self.name.startswith("demo")

    @property
    def core_minutes(self) -> int:
        """Minutes without the deep dives (what the core path presents)."""
        return self.minutes - sum(self.deep_dives.values())


@dataclass(frozen=True)
class Course:
    notebooks: tuple[Notebook, ...]
    tracks: dict[str, str]

    def on(self, track: str) -> list[Notebook]:
        return [n for n in self.notebooks if track == "full" or n.track == "core"]

    def minutes(self, track: str) -> int:
        return sum(n.core_minutes if track == "core" else n.minutes for n in self.on(track))

    def lab_minutes(self, track: str) -> int:
        return sum(n.lab.minutes for n in self.on(track) if n.lab)

    def stops(self) -> list[Path]:
        """Every notebook and lab, in the order of the full path (a lab right after its notebook)."""
        return [p for n in self.notebooks for p in ([n.path] + ([n.lab.path] if n.lab else []))]

    def owner(self, path: Path) -> Notebook:
        """The notebook of `path` (a notebook, or the lab that follows it)."""
        for n in self.notebooks:
            if path in (n.path, n.lab.path if n.lab else None):
                return n
        raise CourseError(f"{path} is not in course.yml", "add it to course.yml")


def _fail(where: str, what: str) -> CourseError:
    return CourseError(f"course.yml: {where}: {what}", "fix course.yml (its first lines say what each key means)")


def _minutes(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _fail(where, f"minutes must be a whole number above 0, not {value!r}")
    return value


_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def parse(data) -> Course:
    """A Course from course.yml's data; a CourseError (one line) on anything unexpected."""
    if not isinstance(data, dict):
        raise _fail("the file", "expected the keys tracks, labs and notebooks")
    unknown = set(data) - {"tracks", "labs", "notebooks"}
    if unknown:
        raise _fail("the file", f"unknown key(s) {sorted(unknown)}")
    tracks = data.get("tracks") or {}
    if not isinstance(tracks, dict) or sorted(tracks) != sorted(TRACKS):
        raise _fail("tracks", f"name exactly the tracks {list(TRACKS)}")
    labs = data.get("labs") or {}
    if not isinstance(labs, dict):
        raise _fail("labs", "expected lab name: minutes")
    labs = {name: Lab(name, _minutes(m, f"lab {name}")) for name, m in labs.items()}
    entries = data.get("notebooks")
    if not isinstance(entries, list) or not entries:
        raise _fail("notebooks", "expected a list of notebooks")
    notebooks, seen, used_labs = [], set(), set()
    for number, entry in enumerate(entries, 1):
        where = f"notebook {number}" + (f" ({entry.get('name')})" if isinstance(entry, dict) else "")
        if not isinstance(entry, dict):
            raise _fail(where, "expected name, about, minutes, track")
        unknown = set(entry) - {"name", "about", "minutes", "track", "lab", "deep_dives"}
        if unknown:
            raise _fail(where, f"unknown key(s) {sorted(unknown)}")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(where, f"name must be a file name without .ipynb, not {name!r}")
        if name in seen:
            raise _fail(where, "listed twice")
        seen.add(name)
        if entry.get("track") not in TRACKS:
            raise _fail(where, f"track must be one of {list(TRACKS)}, not {entry.get('track')!r}")
        if not isinstance(entry.get("about"), str) or not entry["about"].strip():
            raise _fail(where, "about: say in a few words what the notebook does")
        lab = entry.get("lab")
        if lab is not None:
            if lab not in labs:
                raise _fail(where, f"lab {lab!r} is not under labs:")
            if lab in used_labs:
                raise _fail(where, f"lab {lab!r} already follows another notebook")
            used_labs.add(lab)
        dives = entry.get("deep_dives") or {}
        if not isinstance(dives, dict):
            raise _fail(where, "deep_dives: expected heading text: minutes")
        dives = {str(h): _minutes(m, f"{where}, deep dive {h!r}") for h, m in dives.items()}
        nb = Notebook(name, entry["about"].strip(), _minutes(entry.get("minutes"), where), entry["track"],
                      labs.get(lab), dives)
        if nb.core_minutes <= 0:
            raise _fail(where, "its deep dives take all of its minutes")
        notebooks.append(nb)
    spare = sorted(set(labs) - used_labs)
    if spare:
        raise _fail("labs", f"{spare} follow(s) no notebook: name it as a notebook's lab")
    return Course(tuple(notebooks), {k: str(v) for k, v in tracks.items()})


def load(path: Path = COURSE_FILE) -> Course:
    import yaml
    try:
        data = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise CourseError(f"{path} is missing", "restore it from git") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        raise CourseError(f"{Path(path).name}: {line}not valid YAML ({getattr(exc, 'problem', exc)})",
                          "fix course.yml") from None
    return parse(data)


def problems(course: Course, repo: Path = REPO) -> list[str]:
    """Where course.yml and the files disagree: notebooks or labs missing from one side."""
    found = []
    listed = set(course.stops())
    for folder in ("notebooks", "labs"):
        for path in sorted((repo / folder).glob("*.ipynb")):
            if path.relative_to(repo) not in listed:
                found.append(f"{path.relative_to(repo)} is not in course.yml")
    found += [f"course.yml names {p}, which does not exist" for p in course.stops() if not (repo / p).exists()]
    return found


# --- the agenda --------------------------------------------------------------------------------

def hours(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def link(path: Path, start: Path = Path(".")) -> str:
    """A relative link from folder `start` (both relative to the repository): it works in
    JupyterLab, on GitHub and in a static site that keeps the notebooks/ and labs/ folders."""
    import os
    return Path(os.path.relpath(path, start)).as_posix()


def minutes_text(n: Notebook) -> str:
    return f"{n.minutes} (core: {n.core_minutes})" if n.track == "core" and n.deep_dives else str(n.minutes)


def agenda(course: Course, start: Path = Path("."), labs_as_rows: bool = False) -> str:
    """The agenda as a markdown table, links relative to folder `start`. The README and
    `dockyard course agenda` show it with the labs in a column; 00-start-here with a row for each."""
    if labs_as_rows:
        rows = ["| # | notebook or lab | what you do | minutes | track |", "|---|---|---|---|---|"]
    else:
        rows = ["| # | notebook | lab (on your own) | minutes | track |", "|---|---|---|---|---|"]
    for number, n in enumerate(course.notebooks, 1):
        name = f"[{n.name}]({link(n.path, start)})"
        lab = f"[{n.lab.name}]({link(n.lab.path, start)})" if n.lab else ""
        if labs_as_rows:
            rows.append(f"| {number} | {name} | {n.about} | {minutes_text(n)} | {n.track} |")
            if n.lab:
                rows.append(f"| | ↳ lab {lab} | on your own | {n.lab.minutes} | {n.track} |")
        else:
            lab += f", {n.lab.minutes} min" if n.lab else ""
            rows.append(f"| {number} | {name} | {lab} | {minutes_text(n)} | {n.track} |")
    return "\n".join(rows)


def totals(course: Course) -> str:
    lines = []
    for track in TRACKS:
        on = course.on(track)
        lines.append(f"- **{track} path** ({course.tracks[track]}): {len(on)} notebooks, "
                     f"{hours(course.minutes(track))} of presenting"
                     + (" without the deep dives" if track == "core" else "")
                     + f", and {hours(course.lab_minutes(track))} of labs")
    return "\n".join(lines)


def readme_section(course: Course) -> str:
    return "\n".join([AGENDA_START, "", totals(course), "", agenda(course), "",
                      "Minutes are presenting times; *core: N* is the time without the notebook's deep dives "
                      "(optional sections, marked in the presenter's copy). Labs are done on your own.",
                      "", AGENDA_END])


def with_agenda(readme: str, course: Course) -> str:
    """`readme` with the text between the agenda markers replaced by the agenda of `course`."""
    start, end = readme.find(AGENDA_START), readme.find(AGENDA_END)
    if start < 0 or end < start:
        raise CourseError("README.md has no agenda markers",
                          f"put the lines {AGENDA_START!r} and {AGENDA_END!r} where the agenda goes")
    return readme[:start] + readme_section(course) + readme[end + len(AGENDA_END):]
