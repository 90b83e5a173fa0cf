"""Execute one notebook with papermill the way the tests and `make test` do."""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from dockyard import versions
from dockyard.course import signs
from dockyard.course.cell_times import summarize
from dockyard.paths import BUILD, REPO
from dockyard.timings import record

KERNEL = "dockyard"           # installed into the venv by the Makefile
DEFAULT_CELL_TIMEOUT = 600    # seconds; one cell, e.g. an image build


def run_parameters(notebook: Path, run_id: str | None = None) -> dict:
    """Parameters injected in tests: loopback only, and a unique prefix per run."""
    run_id = run_id or uuid.uuid4().hex[:6]
    return {"name_prefix": f"t{run_id}", "publish_host": "127.0.0.1",
            "workshop": versions.DEFAULT_WORKSHOP, "cleanup": True}


def cell_summary(output: Path) -> dict | None:
    """Cell times of an executed copy; None when papermill left none, so a failure is not masked."""
    try:
        return summarize(json.loads(output.read_text()))
    except (OSError, ValueError):
        return None


def execute(notebook: Path, parameters: dict, suffix: str = "") -> Path:
    import papermill
    out_dir = BUILD / "executed"
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{notebook.stem}{suffix}.ipynb"
    output.unlink(missing_ok=True)  # so a run that writes nothing is not measured by the last one's copy
    start = time.monotonic()
    ok = False
    try:
        papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, kernel_name=KERNEL, engine_name=signs.ENGINE,
            cwd=str(notebook.parent), execution_timeout=DEFAULT_CELL_TIMEOUT, progress_bar=False)
        ok = True
    finally:
        seconds = time.monotonic() - start
        cells = cell_summary(output)
        record("notebooks", f"{notebook.relative_to(REPO)}{suffix}", seconds, passed=ok,
               **({"cells": cells} if cells is not None else {}))
    return output
