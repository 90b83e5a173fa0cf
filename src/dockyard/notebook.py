"""What every notebook calls first: short errors for people, and the labels to put on things.

The teaching calls (client.containers.run, CoreV1Api...) stay in the notebook itself.
"""
from __future__ import annotations

from . import versions
from .errors import DockyardError


def _one_line(shell, etype, value, tb, tb_offset=None):
    print(f"✗ {value}")
    return None


def setup() -> None:
    """In a notebook, a DockyardError prints one line instead of a traceback (the cell still fails)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((DockyardError,), _one_line)


def labels(workshop: str = versions.DEFAULT_WORKSHOP, **extra) -> dict:
    """The label that lets `dockyard clean` find what a notebook made."""
    return {versions.LABEL_KEY: workshop, **extra}


def require_engine():
    """The doctor's engine check; stops the notebook with its message when there is no engine."""
    from .engine import connect
    return connect()


LABEL_KEY = versions.LABEL_KEY


def label_filter(workshop: str | None = None) -> str:
    """The docker filter value for our label: `dockyard.workshop=<workshop>`, or just the key."""
    return f"{LABEL_KEY}={workshop}" if workshop else LABEL_KEY
