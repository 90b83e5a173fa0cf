"""Issue #12, "a notebook started while another one holds the same names", for real.

A kernel runs the first cells of notebook 04 with a name_prefix and keeps its container. The same
notebook started by papermill with that prefix stops at its first cell, in one line, and the first
kernel's container is untouched (each notebook clears its names when it starts, so without the
claim the second run would have removed it). Once the first kernel is shut down, the same run passes.
"""
import uuid
from pathlib import Path

import docker
import nbformat
import papermill
import pytest
from jupyter_client.manager import start_new_kernel

from dockyard.course.run import KERNEL, execute, run_parameters
from dockyard.paths import BUILD
from support.leftovers import remove_run

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "04-containers.ipynb"

pytestmark = pytest.mark.notebook   # live: a skip counts as a failure


def printed(executed: Path, marker: str) -> str:
    """What the cell with `marker` in an executed notebook printed (the kit's one-line errors go there)."""
    cell = next(c for c in nbformat.read(executed, as_version=4).cells if marker in c.source)
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def run_cells(client, cells) -> None:
    for cell in cells:
        reply = client.execute_interactive(cell.source, timeout=120)
        assert reply["content"]["status"] == "ok", f"{cell.source[:80]!r}: {reply['content']}"


def test_a_second_run_with_the_same_names_stops_in_one_line_and_the_first_keeps_its_work():
    params = run_parameters(NOTEBOOK, run_id=uuid.uuid4().hex[:6])
    prefix = params["name_prefix"]
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in params.items()))
    engine = docker.from_env()
    manager, kernel = start_new_kernel(kernel_name=KERNEL, cwd=str(NOTEBOOK.parent))
    try:
        try:
            run_cells(kernel, [first, code[1], code[2]])          # imports, setup, claim; then `create`
            polite = engine.containers.get(f"{prefix}-ctr-polite")

            with pytest.raises(papermill.PapermillExecutionError) as caught:
                execute(NOTEBOOK, params, suffix="-same-names")
            assert "claim(prefix)" in caught.value.source, "it stopped at its first cell, before making anything"
            said = printed(BUILD / "executed" / f"{NOTEBOOK.stem}-same-names.ipynb", "claim(prefix)")
            assert said.startswith("✗ ") and f"already uses {prefix}-ctr- on this engine" in said, said
            assert len(said.strip().splitlines()) == 1, f"one line, not a traceback: {said}"
            still = engine.containers.get(polite.id)
            assert (still.name, still.status) == (polite.name, "created"), "the first kernel's container is untouched"
        finally:
            kernel.stop_channels()
            manager.shutdown_kernel(now=True)

        execute(NOTEBOOK, params, suffix="-same-names-after")   # free again: it runs, and cleans up after itself
        assert engine.containers.list(all=True, filters={"name": f"^{prefix}-ctr-"}) == []
    finally:
        remove_run(prefix)   # whatever a failure above left
