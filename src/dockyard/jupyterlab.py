"""How the kit starts JupyterLab: one command line for `make lab` and for the browser test."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .paths import REPO

START_NOTEBOOK = "notebooks/00-start-here.ipynb"


def lab_command(host: str, port: int, root: Path = REPO, open_path: str = START_NOTEBOOK,
                token: str | None = None, open_browser: bool = True) -> list[str]:
    """`jupyter lab` from this virtual environment, serving `root`, opening `open_path`."""
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter), "lab", f"--ip={host}", f"--port={port}", "--ServerApp.port_retries=0",
               f"--ServerApp.root_dir={root}", f"--LabApp.default_url=/lab/tree/{open_path}"]
    if token is not None:
        command.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")   # a workshop VM often runs as root
    return command


# A room of people on a closed network needs no news pop-up and no update check.
QUIET_SETTINGS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def write_quiet_settings(prefix: str = sys.prefix) -> Path:
    """JupyterLab's settings overrides in this environment (read at start by every user)."""
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**current, **QUIET_SETTINGS}, indent=2) + "\n")
    return path
