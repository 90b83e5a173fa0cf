"""The current-engine tests: a SIGTERM (a CI time limit, `kill`) unwinds like Ctrl-C, so the second
engine's teardown runs."""
import pytest

from support.second_engine import sigterm_as_interrupt


@pytest.fixture(scope="session", autouse=True)
def sigterm_unwinds():
    with sigterm_as_interrupt():
        yield
