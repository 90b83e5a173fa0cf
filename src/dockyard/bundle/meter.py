"""How far a long copy (a save, a download, a load) has come."""
from __future__ import annotations

import time

from dockyard.display import Progress


class Meter:
    """A progress line every 100 MB, with the rate."""

    def __init__(self, progress: Progress, verb: str):
        self.progress, self.verb, self.done, self.start = progress, verb, 0, time.monotonic()

    def __call__(self, n: int) -> None:
        before, self.done = self.done, self.done + n
        if before // 100_000_000 != self.done // 100_000_000:
            rate = self.done / 1e6 / max(time.monotonic() - self.start, 1e-3)
            self.progress.line(f"{self.done / 1e6:.0f} MB {self.verb} ({rate:.0f} MB/s)")
