"""The bundle test's machine: a second engine of its own (tests/support/second_engine.py), in a
range of its own, so it never meets the laptop test's."""
from pathlib import Path

import pytest

from support.second_engine import second_engine, sigterm_unwinds  # noqa: F401

OUT = Path(__file__).resolve().parents[2] / "build" / "bundle"


@pytest.fixture(scope="module")
def out_dir() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)   # a clean clone has no build/ yet
    return OUT


@pytest.fixture(scope="module")
def second_engine_options(out_dir):
    return {"name": "dybundle", "subnet": "10.214.0.0/16", "bridge_address": "10.214.0.1/24",
            "pool": "10.214.128.0/17", "log_path": out_dir / "second-dockerd.log"}
