import json

from dockyard import cli

from dockyard.course import cell_times
from dockyard.course.cell_times import summarize, untagged_slow_cells


def code(source, seconds=None, tags=(), papermill=None):
    """A code cell as papermill leaves it: kernel timestamps, or only papermill's duration."""
    meta = {"tags": list(tags)}
    if seconds is not None:
        meta["execution"] = {"iopub.execute_input": "2024-05-01T10:00:00.000000Z",
                             "shell.execute_reply": f"2024-05-01T10:00:{seconds:09.6f}Z"}
    if papermill is not None:
        meta["papermill"] = {"duration": papermill}
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": []}


NOTEBOOK = {"cells": [
    {"cell_type": "markdown", "metadata": {"papermill": {"duration": 9.0}}, "source": "# Title"},
    code("name_prefix = 'x'\n", 0.1, tags=["parameters"]),
    code(["\n", "# build the image\n", "client.images.build(path='.')\n"], 12.5),
    code("expect(running)", 0.5),
    code("wait_ready(pod)", 3.25, tags=["slow", "hide-input"]),
    code("print('never ran')"),                       # after a failure: no time at all
    code("client.ping()", papermill=1.0),              # papermill's duration when timestamps are missing
]}


def test_summary_of_a_small_notebook():
    s = summarize(NOTEBOOK)
    assert s["count"] == 5                             # markdown and the cell that never ran are left out
    assert s["median"] == 1.0
    assert s["max"] == 12.5
    assert s["p90"] == 8.8                             # between 3.25 and 12.5, at 0.6 of the way
    assert s["slow"] == [
        {"index": 2, "tags": [], "first_line": "# build the image", "seconds": 12.5, "tagged": False},
        {"index": 4, "tags": ["slow", "hide-input"], "first_line": "wait_ready(pod)", "seconds": 3.25,
         "tagged": True},
    ]


def test_untagged_slow_cells():
    assert [c["index"] for c in untagged_slow_cells(summarize(NOTEBOOK))] == [2]
    assert untagged_slow_cells(summarize({"cells": []})) == []


def test_two_seconds_exactly_is_not_slow_and_an_empty_notebook_has_no_numbers():
    assert summarize({"cells": [code("x", 2.0)]})["slow"] == []
    assert summarize({"cells": []}) == {"count": 0, "median": None, "p90": None, "max": None,
                                        "slow_after": 2.0, "slow": []}


def test_percentile():
    assert cell_times.percentile([4.0], 0.9) == 4.0
    assert cell_times.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert cell_times.percentile([], 0.5) is None


def test_timings_prints_the_cell_table_after_the_existing_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DOCKYARD_TIMINGS", str(tmp_path / "t.json"))
    (tmp_path / "t.json").write_text(json.dumps({
        "prepare": {"engine up": {"seconds": 1.0}},
        "notebooks": {"notebooks/01-a.ipynb": {"seconds": 20.0, "passed": True, "cells": summarize(NOTEBOOK)},
                      "notebooks/02-b.ipynb": {"seconds": 5.0, "passed": False}}}))
    assert cli.cmd_timings(None) == 0
    out = capsys.readouterr().out
    assert out.index("engine up") < out.index("cells (slow: over 2 s)")
    cell_lines = out.split("cells (slow: over 2 s)\n")[1].splitlines()
    assert cell_lines[0].split() == ["notebook", "cells", "median", "p90", "max", "slow", "untagged"]
    assert [line.split() for line in cell_lines[1:]] == [
        ["notebooks/01-a.ipynb", "5", "1.00s", "8.80s", "12.50s", "2", "1"]]   # 02-b recorded no cells


def test_the_gate_counts_only_untagged_cells_of_the_rooms_runs():
    from dockyard.course.cell_times import keeps_the_room_waiting, presenter_runs
    slow = lambda index, seconds, tagged: {"index": index, "seconds": seconds, "tagged": tagged,  # noqa: E731
                                           "first_line": f"cell {index}", "tags": ["slow"] if tagged else []}
    timings = {"notebooks": {
        "notebooks/12-pods.ipynb": {"cells": {"slow": [slow(3, 9.0, True), slow(5, 7.5, False), slow(6, 5.0, False)]}},
        "labs/04-kubernetes-pods.ipynb-solved": {"cells": {"slow": [slow(7, 6.5, False)]}},
        "labs/04-kubernetes-pods.ipynb-empty": {"cells": {"slow": [slow(7, 50.0, False)]}},
        "notebooks/12-pods.ipynb-engine29": {"cells": {"slow": [slow(5, 50.0, False)]}},
        "build/wrong-answers/04-kubernetes-pods-wrong1.ipynb": {"cells": {"slow": [slow(2, 50.0, False)]}},
    }}
    assert set(presenter_runs(timings)) == {"notebooks/12-pods.ipynb", "labs/04-kubernetes-pods.ipynb-solved"}
    assert keeps_the_room_waiting(timings) == ["labs/04-kubernetes-pods.ipynb-solved cell 7 (6.5 s): cell 7",
                                               "notebooks/12-pods.ipynb cell 5 (7.5 s): cell 5"]
