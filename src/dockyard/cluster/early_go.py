"""The Go builds of a cold prepare from source, run while the images build.

The Go programs need neither the engine nor any image, and the image builds wait on downloads
part of the time (Debian packages, the pyspark source): Go fills those waits. On 2 cores a cold
prepare took 16.4 min so, 19.0 min in sequence; both cores were 95% busy, so compiling less is
the only way to go faster. The node image needs both: `cluster up` waits here first. The builds
run in a process of their own, so a failure or Ctrl-C on the images' side stops them too.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from dockyard.cluster import node_image
from dockyard.display import LoggedProgress, Progress
from dockyard.errors import DockyardError
from dockyard.images.build import existing
from dockyard.paths import BUILD

LOG = BUILD / "go-builds.log"


def needed(client) -> bool:
    """A node image is to be built and some of its Go programs are not built yet."""
    return existing(client, node_image.node_image_ref()) is None and node_image.go_programs_missing()


class EarlyGo:
    """`start()` the Go builds beside what comes next; `wait()` before the node image; `stop()` always."""

    def __init__(self):
        self._proc: subprocess.Popen | None = None

    def start(self, client) -> None:
        node_image.preflight(client)
        LOG.parent.mkdir(parents=True, exist_ok=True)
        LOG.write_text("")
        print(f" • Go builds started beside the images (each go command in {LOG})", flush=True)
        self.launch([sys.executable, "-m", "dockyard.cluster.early_go"])

    def launch(self, command: list[str]) -> None:
        """In a session of its own: Ctrl-C reaches prepare, and prepare's stop() ends the group."""
        self._proc = subprocess.Popen(command, start_new_session=True)

    def wait(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            progress, started = Progress("Go builds"), time.monotonic()
            with progress.step("Waiting for the Go builds to finish"):
                while self._proc.poll() is None:
                    time.sleep(2)
                    progress.line(f"{time.monotonic() - started:.0f} s so far")
        code, self._proc = self._proc.returncode, None
        if code != 0:
            raise DockyardError(f"the Go builds failed (exit status {code})",
                                f"read the line above and {LOG}, then run `dockyard prepare` again")

    def stop(self) -> None:
        """Stop the builds if they still run (after a failure or Ctrl-C elsewhere)."""
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            self._proc.wait()
        self._proc = None


if __name__ == "__main__":
    try:
        node_image.ensure_go_programs(LoggedProgress("Go", LOG))
    except DockyardError as error:
        print(f"✗ {error}", file=sys.stderr)
        sys.exit(1)
