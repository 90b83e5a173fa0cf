"""The laptop tests' fixtures: the second engine (tests/support/second_engine.py) is shared with
any later test that needs a machine of its own (a bundle test, say)."""
import pytest

from support.second_engine import second_engine, second_engine_options, sigterm_as_interrupt  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def sigterm_unwinds():
    """A SIGTERM (a CI time limit, `kill`) unwinds like Ctrl-C, so every fixture's teardown runs."""
    with sigterm_as_interrupt():
        yield
