"""Plumbing for the Spark demos: the memory they need, the text they count, the master's view.

The Docker and Kubernetes calls that start Spark stay in the notebooks; this module only does
arithmetic, waiting and parsing.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.host.resources import available_memory_gb
from dockyard.paths import REPO

# What each Spark process is given, in MB. A JVM takes its heap plus roughly JVM_OVERHEAD_MB
# (metaspace, threads, code cache); an executor also feeds a Python worker per core.
DAEMON_HEAP_MB = 256        # master and each worker daemon (SPARK_DAEMON_MEMORY)
WORKER_OFFER_MB = 1024      # what each worker offers to executors (--memory)
EXECUTOR_HEAP_MB = 512      # spark.executor.memory
DRIVER_HEAP_MB = 512        # --driver-memory
JVM_OVERHEAD_MB = 250
PYTHON_WORKER_MB = 100
HEADROOM_MB = 512           # the notebook, the engine and the rest of the machine

NOTEBOOKS = REPO / "notebooks"   # the word count reads the prose the kit ships, nothing beside it


@dataclass
class MemoryCheck:
    needed_mb: int
    available_mb: int
    plan: dict

    @property
    def ok(self) -> bool:
        return self.available_mb >= self.needed_mb


def memory_plan(workers: int) -> dict[str, int]:
    """MB each part of a standalone cluster with `workers` workers (1 executor each) will take."""
    jvm = lambda heap: heap + JVM_OVERHEAD_MB  # noqa: E731
    return {
        "master": jvm(DAEMON_HEAP_MB),
        f"{workers} worker daemons": workers * jvm(DAEMON_HEAP_MB),
        f"{workers} executors": workers * (jvm(EXECUTOR_HEAP_MB) + PYTHON_WORKER_MB),
        "driver": jvm(DRIVER_HEAP_MB) + PYTHON_WORKER_MB,
        "headroom": HEADROOM_MB,
    }


def check_memory(engine_mem_total: int, workers: int, meminfo: str | None = None) -> MemoryCheck:
    """Compare the plan with what is free: MemAvailable on this Linux host, else the engine's total."""
    plan = memory_plan(workers)
    # doctor's reading is 0 when the text has no MemAvailable line (a kernel older than 3.14)
    available = int(available_memory_gb(meminfo) * 1024) if meminfo else 0
    if not available:
        available = engine_mem_total // (1024 * 1024)
    return MemoryCheck(sum(plan.values()), available, plan)


def _host_meminfo(info: dict) -> str | None:
    """This machine's /proc/meminfo, only when it describes the engine's machine (not a VM's)."""
    from dockyard.engine.context import resolve
    from dockyard.engine.resources import engine_facts, host_readings_apply
    meminfo = Path("/proc/meminfo")
    local = host_readings_apply(sys.platform, resolve().socket_path, engine_facts(info))
    return meminfo.read_text() if local and meminfo.exists() else None


def require_memory(client, workers: int) -> MemoryCheck:
    """Stop early, with the numbers, when the machine cannot hold the cluster."""
    info = client.info()
    check = check_memory(info.get("MemTotal", 0), workers, _host_meminfo(info))
    if not check.ok:
        raise DockyardError(
            f"Spark with {workers} workers needs about {check.needed_mb} MB, "
            f"but only {check.available_mb} MB is available",
            "close other programs or containers (`docker stats`), or use fewer workers")
    return check


def kit_prose(folder: Path = NOTEBOOKS) -> str:
    """The markdown cells of the kit's own notebooks in `folder`, joined: what the word count reads.

    Only the repository's own files are read, so the demo runs from a clean clone alone."""
    cells = []
    for path in sorted(folder.glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells += ["".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                  for cell in notebook.get("cells", []) if cell.get("cell_type") == "markdown"]
    text = "\n\n".join(cell for cell in cells if cell.strip())
    if not text:
        raise DockyardError(f"no notebook prose to count in {folder}",
                            "run the demo from a complete checkout of the kit")
    return text + "\n"


def alive_workers(state: dict) -> list[dict]:
    """Workers the master counts as ALIVE, from its /json answer."""
    return [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]


def master_state(ui_url: str) -> dict:
    import requests
    return requests.get(f"{ui_url}/json/", timeout=5).json()


def wait_master(ui_url: str, timeout: float = 90.0) -> dict:
    """Wait until the master's UI answers and says ALIVE; return its state."""
    from dockyard.waits import wait_until
    return wait_until(lambda: (lambda s: s if s.get("status") == "ALIVE" else None)(master_state(ui_url)),
                      timeout, interval=0.3, what=f"the Spark master at {ui_url}")


def wait_workers(ui_url: str, count: int, timeout: float = 90.0) -> dict:
    """Wait until the master lists exactly `count` alive workers; return its state."""
    from dockyard.waits import wait_until
    return wait_until(lambda: (lambda s: s if len(alive_workers(s)) == count else None)(master_state(ui_url)),
                      timeout, interval=0.5, what=f"{count} alive Spark workers at {ui_url}")


def result_of(stdout: str, marker: str = "RESULT ") -> object:
    """The JSON a job printed after `marker` (its last such line)."""
    lines = [line[len(marker):] for line in stdout.splitlines() if line.startswith(marker)]
    if not lines:
        raise DockyardError("the job printed no result line", "read its stderr (Spark's log) above")
    return json.loads(lines[-1])
