"""The laptop tests' fixtures: the second engine (tests/support/second_engine.py) is shared with
any later test that needs a machine of its own (a bundle test, say)."""
from support.second_engine import second_engine, second_engine_options, sigterm_unwinds  # noqa: F401
