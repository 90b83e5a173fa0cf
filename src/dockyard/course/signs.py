"""What the room sees while a cell runs: the kernel's messages that change the page.

A slow cell is fine when it shows progress. papermill records when a cell started and ended;
this engine also notes, in the kernel's own clock, every message that changes what the cell
shows (printed lines, a displayed or updated table, a widget's new value), and keeps two
numbers per cell in its metadata: how long until the first of them, and the longest stretch
without any (the start and the end count as edges).
"""
from __future__ import annotations

from datetime import datetime

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from dockyard.course.cell_times import SIGNS_META

ENGINE = "dockyard"
# Messages that change the page. `status` and `execute_input` do not; a widget's update is a comm_msg.
SIGNS = {"stream", "display_data", "update_display_data", "execute_result", "error", "clear_output", "comm_msg"}


def silences(start: datetime, signs: list[datetime], end: datetime) -> dict:
    """Seconds until the first sign (the whole cell when none), and the longest stretch without one."""
    edges = [start, *sorted(t for t in signs if start <= t <= end), end]
    gaps = [(b - a).total_seconds() for a, b in zip(edges, edges[1:])]
    first = gaps[0] if signs and len(edges) > 2 else (end - start).total_seconds()
    return {"first": round(first, 2), "longest_silence": round(max(gaps), 2), "signs": len(edges) - 2}


class SignsClient(PapermillNotebookClient):
    """papermill's client, noting the time of each sign per cell."""

    def process_message(self, msg, cell, cell_index):
        date = msg.get("header", {}).get("date")
        if isinstance(date, datetime):
            kind = msg.get("msg_type")
            if kind == "execute_input":
                self._dockyard_start, self._dockyard_signs = date, []
            elif kind in SIGNS and getattr(self, "_dockyard_start", None) is not None:
                self._dockyard_signs.append(date)
            elif kind == "status" and msg["content"].get("execution_state") == "idle" \
                    and getattr(self, "_dockyard_start", None) is not None:
                cell.setdefault("metadata", {})[SIGNS_META] = silences(self._dockyard_start, self._dockyard_signs, date)
                self._dockyard_start = None
        return super().process_message(msg, cell, cell_index)


class SignsEngine(NBClientEngine):
    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        kwargs.pop("input_path", None)
        kwargs.pop("timeout", None)
        kwargs.pop("startup_timeout", None)
        return SignsClient(nb_man, kernel_name=kernel_name, timeout=execution_timeout, startup_timeout=start_timeout,
                           log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
                           **kwargs).execute()


papermill_engines.register(ENGINE, SignsEngine)
