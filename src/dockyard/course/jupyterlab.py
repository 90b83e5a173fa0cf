"""How the kit starts JupyterLab: one command line for `make lab` and for the browser test."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from dockyard.paths import REPO

START_NOTEBOOK = "notebooks/00-start-here.ipynb"


PASSWORD_ENV = "DOCKYARD_LAB_PASSWORD"


def is_loopback(host: str) -> bool:
    import ipaddress
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_refusal(host: str, password: str | None) -> tuple[str, str] | None:
    """(what, fix) when serving on `host` would hand the machine to the network; else None.

    JupyterLab runs code as its user, beside the Docker socket: whoever gets in owns the machine.
    The room needs what the demos publish, not the presenter's Lab."""
    if is_loopback(host) or password:
        return None
    return (f"JupyterLab on {host} would let anyone on the network run commands on this machine, "
            "guarded only by a token shown on your screen",
            f"keep the default 127.0.0.1 (the room reaches the demos, not your Lab), or set {PASSWORD_ENV} "
            "to a password of your own and run again")


def lab_command(host: str, port: int, root: Path = REPO, open_path: str = START_NOTEBOOK,
                token: str | None = None, open_browser: bool = True, password: str | None = None) -> list[str]:
    """`jupyter lab` from this virtual environment, serving `root`, opening `open_path`.

    With a password, it is the only way in (no token to leak from a projected terminal)."""
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter), "lab", f"--ip={host}", f"--port={port}", "--ServerApp.port_retries=0",
               f"--ServerApp.root_dir={root}", f"--LabApp.default_url=/lab/tree/{open_path}"]
    if password:
        from jupyter_server.auth import passwd
        command += [f"--PasswordIdentityProvider.hashed_password={passwd(password)}",
                    "--IdentityProvider.token="]
    elif token is not None:
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
