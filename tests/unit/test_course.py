"""course.yml: it loads, it matches the files, and the journey cells and the README say what it says."""
import copy
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from dockyard.course import journey
from dockyard.course.manifest import COURSE_FILE, CourseError, agenda, load, parse, problems, with_agenda
from dockyard.course.variants import to_variant

REPO = Path(__file__).resolve().parents[2]
COURSE = load()
STOPS = COURSE.stops()
APPLY = "run `.venv/bin/dockyard course apply` (it writes the journey cells from course.yml)"


def read(path):
    return nbformat.read(REPO / path, as_version=4)


def test_course_matches_the_files():
    assert problems(COURSE, REPO) == []


def test_two_tracks_of_the_right_length():
    assert 135 <= COURSE.minutes("core") <= 165, "the core path is about 2.5 hours"
    assert COURSE.minutes("full") == sum(n.minutes for n in COURSE.notebooks)
    assert COURSE.notebooks[0].name == "00-start-here"
    assert {n.name for n in COURSE.on("core")} < {n.name for n in COURSE.on("full")}


def good():
    return yaml.safe_load(COURSE_FILE.read_text())


@pytest.mark.parametrize("change, said", [
    (lambda d: d["notebooks"][1].update(minutes="half an hour"), "notebook 2 (01-what-docker-is): minutes"),
    (lambda d: d["notebooks"][1].update(track="short"), "track must be one of"),
    (lambda d: d["notebooks"].append(dict(d["notebooks"][0])), "listed twice"),
    (lambda d: d["notebooks"][2].update(lab="no-such-lab"), "'no-such-lab' is not under labs"),
    (lambda d: d["notebooks"][3].update(lab="06-data"), "already follows another notebook"),
    (lambda d: d["labs"].update({"10-extra": 20}), "follow(s) no notebook"),
    (lambda d: d["notebooks"][1].update(deep_dives={"Start-to-exit latency": 40}), "take all of its minutes"),
    (lambda d: d["notebooks"][1].update(minute=3), "unknown key(s) ['minute']"),
    (lambda d: d.pop("tracks"), "tracks: name exactly"),
])
def test_bad_input_is_one_clear_line(change, said):
    data = good()
    change(data)
    with pytest.raises(CourseError) as err:
        parse(data)
    assert said in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("course.yml: ")


def test_bad_yaml_says_the_line(tmp_path):
    bad = tmp_path / "course.yml"
    bad.write_text("tracks:\n  core: [unclosed\n")
    with pytest.raises(CourseError, match=r"course.yml: line \d+: not valid YAML"):
        load(bad)


def test_a_file_not_in_the_course_is_named(tmp_path):
    for folder in ("notebooks", "labs"):
        (tmp_path / folder).mkdir()
    for path in STOPS:
        (tmp_path / path).write_text("{}")
    (tmp_path / "notebooks" / "14-extra.ipynb").write_text("{}")
    (tmp_path / "labs" / "06-data.ipynb").unlink()
    assert problems(COURSE, tmp_path) == ["notebooks/14-extra.ipynb is not in course.yml",
                                          "course.yml names labs/06-data.ipynb, which does not exist"]


@pytest.mark.parametrize("path", STOPS, ids=str)
def test_journey_cells_are_as_course_yml_says(path):
    nb = read(path)
    assert journey.differs(nb, COURSE, path) == [], APPLY
    cells = journey.journey_cells(nb)
    assert cells[journey.START][0] == 1 and cells[journey.NEXT][0] == len(nb.cells) - 1


@pytest.mark.parametrize("path", STOPS, ids=str)
def test_apply_twice_changes_nothing_and_links_resolve(path):
    once = journey.apply(read(path), COURSE, path)
    twice = journey.apply(copy.deepcopy(once), COURSE, path)
    assert nbformat.writes(once) == nbformat.writes(twice)
    assert once.cells[0].source.startswith("# "), "the title stays first"
    for tag in (journey.START, journey.NEXT):
        text = journey.journey_cells(once)[tag][1]
        for target in re.findall(r"\]\(([^)]+)\)", text):
            assert (REPO / path.parent / target).resolve().exists(), f"{tag}: broken link {target}"


def test_apply_replaces_the_old_hand_written_where_next():
    path = Path("notebooks/00-start-here.ipynb")
    nb = read(path)
    nb.cells = [c for c in nb.cells if not {journey.START, journey.NEXT} & set(journey._tags(c))
                and not c.source.startswith("## Where next")]
    nb.cells.append(nbformat.v4.new_markdown_cell("## Where next\n\nold table"))
    done = journey.apply(nb, COURSE, path)
    assert not any("old table" in c.source for c in done.cells)
    assert sum(c.source.count("## Where next") for c in done.cells) == 1


def test_start_here_shows_the_whole_journey():
    path = COURSE.notebooks[0].path
    text = journey.start_text(COURSE, path)
    for n in COURSE.notebooks:
        assert f"[{n.name}]({n.name}.ipynb)" in text
        if n.lab:
            assert f"(../labs/{n.lab.name}.ipynb)" in text
    assert "core path" in text and "full path" in text and "2 h 31 min" in text


def test_a_lab_points_back_to_its_notebook_and_on():
    n = next(n for n in COURSE.notebooks if n.lab)
    assert f"(../notebooks/{n.name}.ipynb)" in journey.start_text(COURSE, n.lab.path)
    assert journey.next_text(COURSE, n.path).count(f"../labs/{n.lab.name}.ipynb") == 1


def test_the_last_stop_says_the_journey_ends():
    assert "end of the journey" in journey.next_text(COURSE, COURSE.notebooks[-1].path)


def test_readme_agenda_is_as_course_yml_says():
    readme = (REPO / "README.md").read_text()
    assert with_agenda(readme, COURSE) == readme, APPLY


def test_agenda_has_every_notebook_in_order():
    rows = [r for r in agenda(COURSE).splitlines()[2:]]
    assert [r.split("|")[1].strip() for r in rows] == [str(i) for i in range(1, len(COURSE.notebooks) + 1)]
    assert all(f"[{n.name}](notebooks/{n.name}.ipynb)" in rows[i] for i, n in enumerate(COURSE.notebooks))


@pytest.mark.parametrize("n", [n for n in COURSE.notebooks if n.deep_dives], ids=lambda n: n.name)
def test_deep_dives_exist_and_no_later_cell_needs_them(n):
    nb = read(n.path)
    for heading, section in journey.deep_dive_sections(nb, n).items():
        assert section is not None, f"no markdown heading {heading!r} in {n.path} (course.yml deep_dives)"
        assert journey.leaks(nb, section) == {}, \
            f"{heading!r}: later cells use names only this deep dive defines, so it cannot be skipped"


def test_leaks_are_found():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("a = 1"),
        nbformat.v4.new_markdown_cell("## Deep"), nbformat.v4.new_code_cell("b = a + 1\nc = 3"),
        nbformat.v4.new_markdown_cell("## After"), nbformat.v4.new_code_cell("print(b)\nc = 4\nprint(c)")])
    deep = next(s for s in journey.sections(nb) if s.heading == "Deep")
    assert (deep.start, deep.end) == (2, 4)
    assert journey.leaks(nb, deep) == {"b": 5}


def test_presenter_copy_shows_time_and_deep_dives():
    n = next(n for n in COURSE.notebooks if n.track == "core" and n.deep_dives)
    nb = journey.apply(read(n.path), COURSE, n.path)
    presenter = journey.for_presenter(to_variant(nb, "presenter"), n.path, COURSE)
    start = journey.journey_cells(presenter)[journey.START][1]
    assert f"**Presenter:** about {n.minutes} min; on the core path {n.core_minutes} min" in start
    marked = [c for c in presenter.cells if "🔍 **Deep dive**" in c.source]
    assert len(marked) == len(n.deep_dives)
    assert all("deep-dive" in c.metadata["tags"] for c in marked)
    learner = to_variant(nb, "learner")
    assert not any("🔍" in c.source or "**Presenter:**" in c.source for c in learner.cells)


def test_notebook_tests_follow_the_course():
    import importlib.util
    spec = importlib.util.spec_from_file_location("nbtests", REPO / "tests" / "notebooks" / "test_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:   # it imports the notebook test support (tests/support)
        pytest.skip(f"tests/notebooks cannot be imported here: {exc}")
    assert [p.stem for p in module.notebooks()] == [n.name for n in COURSE.notebooks]


def test_cli_prints_the_agenda(capsys):
    from dockyard.cli import main
    assert main(["course", "agenda"]) == 0
    out = capsys.readouterr().out
    assert agenda(COURSE) in out and "core path" in out
