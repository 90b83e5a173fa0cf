"""A presenter's cell answers in about 2 s, or it is tagged `slow` with its reason (issue #17).

Reads the cell times that this `make test` wrote into build/timings.json while it ran every
notebook and lab: it runs after both lanes."""
import json

import pytest

from dockyard.course.cell_times import (SHARED_MACHINE_FACTOR, SLOW_SECONDS, keeps_the_room_waiting,
                                       presenter_runs, shows_no_progress)
from dockyard.paths import BUILD, REPO

pytestmark = pytest.mark.notebook   # needs the live runs' times: a skip counts as a failure


def test_every_notebook_and_lab_was_measured():
    timings = json.loads((BUILD / "timings.json").read_text())
    measured = set(presenter_runs(timings))
    expected = {f"notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb")}
    expected |= {f"labs/{p.name}-solved" for p in (REPO / "labs").glob("*.ipynb")}
    assert expected <= measured, f"no cell times for {sorted(expected - measured)}"


def test_no_untagged_cell_keeps_the_room_waiting():
    every, once = keeps_the_room_waiting(json.loads((BUILD / "timings.json").read_text()))
    gate = SLOW_SECONDS * SHARED_MACHINE_FACTOR
    if once:   # one run cannot tell a slow cell from a busy moment of the machine: shown, not failed
        print(f"untagged, over {gate:g} s in the one run there was:\n" + "\n".join(once))
    assert not every, (f"{len(every)} cells took over {gate:g} s ({SLOW_SECONDS:g} s alone) in every run of "
                       "them, without the `slow` tag:\n" + "\n".join(every))


def test_every_slow_cell_shows_progress():
    """A tagged cell may take long, not stand still: something new on the page within the gate."""
    frozen, listed = shows_no_progress(json.loads((BUILD / "timings.json").read_text()))
    gate = SLOW_SECONDS * SHARED_MACHINE_FACTOR
    if listed:
        print(f"tagged, over {gate:g} s (not {2 * gate:g}) without a sign in the one run there was:\n" + "\n".join(listed))
    assert not frozen, (f"{len(frozen)} slow cells showed nothing new for over {gate:g} s in every run of them, "
                        f"or over {2 * gate:g} s in their one run; show progress (a wait's line, a board):\n"
                        + "\n".join(frozen))
