"""The ticker behind `waiting` and a progress step: it counts up while the block runs, never after."""
import time

import pytest

from dockyard.display import _ticking


def test_nothing_is_shown_before_after_seconds():
    shown = []
    with _ticking(shown.append, after=0.5, every=0.05):
        time.sleep(0.1)
    assert shown == []


def test_it_counts_up_while_the_block_runs_and_stops_with_it():
    shown = []
    with _ticking(shown.append, after=0.05, every=0.05):
        time.sleep(0.3)
    count = len(shown)
    time.sleep(0.15)
    assert count >= 2 and len(shown) == count
    assert shown == sorted(shown) and shown[0] >= 0.05


def test_an_error_in_the_block_stops_the_ticker_and_is_raised():
    shown = []
    with pytest.raises(KeyError), _ticking(shown.append, after=0.02, every=0.02):
        time.sleep(0.1)
        raise KeyError("the block's own")
    count = len(shown)
    time.sleep(0.1)
    assert len(shown) == count
