"""The browser for the JupyterLab test: Debian's chromium, installed by apt (no browser download)."""
from __future__ import annotations

import os
import shutil

from dockyard.errors import DockyardError

CHROMIUM_PACKAGE = "chromium"
# Flags for a headless run on a machine without outside network: no background traffic, no sync.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium(log=print) -> str:
    """The path to chromium, installing Debian's package when we are root on Debian."""
    found = find_chromium()
    if found:
        return found
    from dockyard.engine.provision import apt_install, os_release
    release = os_release()
    debian_like = "debian" in (release.get("ID", ""), *release.get("ID_LIKE", "").split())
    if not (debian_like and os.geteuid() == 0):
        raise DockyardError("no chromium browser is installed, which the JupyterLab browser test drives",
                            f"install your distribution's {CHROMIUM_PACKAGE} package")
    apt_install([CHROMIUM_PACKAGE], log=log)
    found = find_chromium()
    if not found:
        raise DockyardError("apt installed chromium but it is not on PATH", "look at `dpkg -L chromium`")
    return found
