"""The current-engine tests: a SIGTERM (a CI time limit, `kill`) unwinds like Ctrl-C, so the second
engine's teardown runs."""
from support.second_engine import sigterm_unwinds  # noqa: F401
