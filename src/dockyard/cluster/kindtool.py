"""Where kind comes from when the way is not "from source" (which builds it with Go, gobuild.py).

In order: a `kind` on PATH that reports the pinned version; `go install` when Go 1.24+ is there
(gobuild.ensure_program, which reuses its cached build); the kit's cached copy; kind's release
binary for this OS and CPU, downloaded to where gobuild would put it and used only when its
sha256 is the pinned one.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import platform
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from dockyard import versions
from dockyard.errors import DockyardError
from dockyard.host import gobuild

OS_NAMES = {"linux": "linux", "darwin": "darwin"}
CPU_NAMES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
DOWNLOAD_TIMEOUT = 60  # seconds without a byte before a download counts as failed


def _other_ways() -> str:
    need = versions.GO_MIN_VERSION
    return f"put kind {versions.KIND_VERSION} on PATH, or install Go {need[0]}.{need[1]}+ so the kit builds it"


def release_platform(system: str | None = None, machine: str | None = None) -> tuple[str, str]:
    """kind's names for this OS and CPU: ("linux" | "darwin", "amd64" | "arm64")."""
    system = platform.system() if system is None else system
    machine = platform.machine() if machine is None else machine
    os_name, arch = OS_NAMES.get(system.lower()), CPU_NAMES.get(machine.lower())
    if not os_name or not arch:
        raise DockyardError(f"kind publishes no binary for {system}/{machine}", _other_ways())
    return os_name, arch


def release_url(os_name: str, arch: str, version: str = versions.KIND_VERSION) -> str:
    return versions.KIND_RELEASE_URL.format(version=version, os=os_name, arch=arch)


def reported_version(path: str) -> str | None:
    """"v0.30.0" from `kind version` ("kind v0.30.0 go1.24.6 linux/amd64"); None if it does not say."""
    try:
        out = subprocess.run([path, "version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = out.stdout.split()
    return words[1] if out.returncode == 0 and len(words) > 1 and words[0] == "kind" else None


def on_path(version: str = versions.KIND_VERSION) -> str | None:
    found = shutil.which("kind")
    return found if found and reported_version(found) == version else None


def download_verified(url: str, sha256: str, dest: Path, timeout: float = DOWNLOAD_TIMEOUT, log=print) -> Path:
    """Download `url` to a temporary name beside `dest`, check its sha256, then rename it to `dest`.
    A mismatch or a failed download is one line, and leaves nothing behind."""
    made_folder = not dest.parent.exists()
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{dest.name}-", suffix=".download", dir=dest.parent)
    partial = Path(name)
    digest = hashlib.sha256()
    try:
        log(f"downloading {url}")
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
        actual = digest.hexdigest()
        if actual != sha256:
            raise DockyardError(f"the kind from {url} has sha256 {actual}, expected {sha256}; it was not kept",
                                f"retry `dockyard cluster up`, or {_other_ways()}")
        partial.chmod(0o755)
        os.replace(partial, dest)  # only a checked binary gets the real name
    except BaseException as err:
        partial.unlink(missing_ok=True)
        if made_folder:
            try:
                dest.parent.rmdir()
            except OSError:
                pass
        if isinstance(err, (OSError, http.client.HTTPException)):
            reason = getattr(err, "reason", None) or err
            raise DockyardError(f"downloading kind from {url} failed: {reason}",
                                f"check the network and retry, or {_other_ways()}") from None
        raise
    return dest


def ensure_kind(log=print) -> Path:
    """A kind of the pinned version, found, built or downloaded (see the module's docstring)."""
    found = on_path()
    if found:
        return Path(found)
    go = gobuild.go_version()
    if go is not None and go >= versions.GO_MIN_VERSION:
        return gobuild.ensure_program("kind", log)
    target = gobuild.program_path("kind")
    if target.is_file():
        return target
    os_name, arch = release_platform()
    return download_verified(release_url(os_name, arch), versions.KIND_BINARY_SHA256[(os_name, arch)],
                             target, log=log)
