"""Python packages for images, downloaded on the host.

Containers do not trust the host's package-index CA (an intercepting proxy), so
`pip install` inside `docker build` fails. We `pip download` on the host, where the
trust is set up, and COPY the wheels into the build context.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..errors import DockyardError
from ..paths import cache_dir


def wheelhouse() -> Path:
    path = cache_dir() / "wheelhouse"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fill(requirements: tuple, target: Path, python_version: str = "3.11", log=print) -> list[Path]:
    """Download `requirements` (and their dependencies) for Linux x86_64 into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
           "--dest", str(target), "--python-version", python_version,
           "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64",
           "--platform", "linux_x86_64", "--only-binary=:all:", *requirements]
    log("pip download " + " ".join(requirements))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DockyardError(f"pip download failed: {proc.stderr.strip().splitlines()[-1:]}",
                            "check the host's pip configuration and network")
    return sorted(target.iterdir())
