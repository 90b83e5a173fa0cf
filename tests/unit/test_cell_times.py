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
        {"index": 2, "id": None, "tags": [], "first_line": "# build the image", "seconds": 12.5, "tagged": False},
        {"index": 4, "id": None, "tags": ["slow", "hide-input"], "first_line": "wait_ready(pod)", "seconds": 3.25,
         "tagged": True},
    ]
    assert len(s["ran"]) == 5                          # each cell that ran, by id: to find it in other runs


def test_untagged_slow_cells():
    assert [c["index"] for c in untagged_slow_cells(summarize(NOTEBOOK))] == [2]
    assert untagged_slow_cells(summarize({"cells": []})) == []


def test_two_seconds_exactly_is_not_slow_and_an_empty_notebook_has_no_numbers():
    assert summarize({"cells": [code("x", 2.0)]})["slow"] == []
    assert summarize({"cells": []}) == {"count": 0, "median": None, "p90": None, "max": None,
                                        "slow_after": 2.0, "slow": [], "ran": []}


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


def test_the_gate_counts_only_untagged_cells_slow_in_every_run_of_them():
    from dockyard.course.cell_times import keeps_the_room_waiting, presenter_runs

    def slow(id_, seconds, tagged=False):
        return {"index": int(id_[-1]), "id": id_, "seconds": seconds, "tagged": tagged,
                "first_line": id_, "tags": ["slow"] if tagged else []}

    def run(*cells, ran=("c1", "c2", "c3", "c4", "c5")):
        return {"cells": {"slow": list(cells), "ran": list(ran)}}

    timings = {"notebooks": {
        # c1 tagged; c2 slow on both engines; c3 slow here but fast on Engine 29: a busy moment
        "notebooks/07-images.ipynb": run(slow("c1", 9.0, True), slow("c2", 7.5), slow("c3", 6.5), slow("c4", 5.0)),
        "notebooks/07-images.ipynb-engine29": run(slow("c2", 8.0)),
        # a Kubernetes notebook runs once: slow there is reported, never failed
        "notebooks/12-pods.ipynb": run(slow("c5", 7.0)),
        # a lab cell: slow with solutions, fast in a wrong-answer run of the same lab
        "labs/04-kubernetes-pods.ipynb-solved": run(slow("c2", 6.5), slow("c3", 7.0)),
        "build/wrong-answers/04-kubernetes-pods-wrong1.ipynb": run(slow("c3", 6.6), ran=("c2", "c3")),
        "labs/04-kubernetes-pods.ipynb-empty": run(slow("c3", 50.0), ran=("c3",)),
    }}
    assert set(presenter_runs(timings)) == {"notebooks/07-images.ipynb", "notebooks/12-pods.ipynb",
                                            "labs/04-kubernetes-pods.ipynb-solved"}
    every, once = keeps_the_room_waiting(timings)
    assert every == ["labs/04-kubernetes-pods.ipynb-solved cell 3 (7.0 s, 3 run(s)): c3",
                     "notebooks/07-images.ipynb cell 2 (7.5 s, 2 run(s)): c2"]
    assert once == ["notebooks/12-pods.ipynb cell 5 (7.0 s, 1 run(s)): c5"]


def test_silences_measure_the_first_sign_and_the_longest_stretch_without_one():
    from datetime import datetime, timedelta
    from dockyard.course.signs import silences
    t0 = datetime(2026, 12, 3, 8, 0, 0)
    at = [t0 + timedelta(seconds=s) for s in (1.0, 1.5, 6.0)]
    assert silences(t0, at, t0 + timedelta(seconds=7)) == {"first": 1.0, "longest_silence": 4.5, "signs": 3}
    # nothing shown at all: the whole cell is one silence
    assert silences(t0, [], t0 + timedelta(seconds=9)) == {"first": 9.0, "longest_silence": 9.0, "signs": 0}
    # a table shown at once, then nothing while a wait runs: the end counts as an edge
    assert silences(t0, [t0], t0 + timedelta(seconds=8))["longest_silence"] == 8.0


def test_progress_is_asked_of_tagged_cells_silent_in_every_run_of_them():
    from dockyard.course.cell_times import shows_no_progress

    def slow(id_, seconds, silence, tagged=True):
        return {"index": int(id_[-1]), "id": id_, "seconds": seconds, "tagged": tagged, "first_line": id_,
                "tags": ["slow"] if tagged else [], "first": 0.1, "longest_silence": silence, "signs": 2}

    timings = {"notebooks": {
        # c1 silent 9 s on both engines; c2 silent here but showed progress on Engine 29; c3 untagged
        "notebooks/07-images.ipynb": {"cells": {"slow": [slow("c1", 10, 9.0), slow("c2", 10, 8.0),
                                                          slow("c3", 10, 9.0, tagged=False)],
                                                 "ran": ["c1", "c2", "c3"]}},
        "notebooks/07-images.ipynb-engine29": {"cells": {"slow": [slow("c1", 11, 10.0), slow("c2", 10, 2.0)],
                                                         "ran": ["c1", "c2", "c3"]}},
        "notebooks/12-pods.ipynb": {"cells": {"slow": [slow("c4", 30, 25.0)], "ran": ["c4"]}},
    }}
    timings["notebooks"]["notebooks/13-services-and-labels.ipynb"] = {
        "cells": {"slow": [slow("c6", 12, 8.0)], "ran": ["c6"]}}   # once, between the gate and twice it
    frozen, listed = shows_no_progress(timings)
    assert frozen == ["notebooks/07-images.ipynb cell 1 (10.0 s, 2 run(s)): c1 — 9.0 s without a sign",
                      "notebooks/12-pods.ipynb cell 4 (30.0 s, 1 run(s)): c4 — 25.0 s without a sign"]
    assert listed == ["notebooks/13-services-and-labels.ipynb cell 6 (12.0 s, 1 run(s)): c6 — 8.0 s without a sign"]
