"""Python packages for images, downloaded on the host.

Containers do not trust the host's package-index CA (an intercepting proxy), so
`pip install` inside `docker build` fails. We `pip download` on the host, where the
trust is set up, and COPY the wheels into the build context.

Some packages are published only as an sdist (pyspark: a ~456 MB tarball carrying Spark's
jars). For those the host downloads the sdist once and turns it into a wheel with
`pip wheel`; both are kept in the wheelhouse (~/.cache/dockyard/wheelhouse/{sdist,built}),
so the next image build, or a fresh clone on the same machine, reuses them.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from dockyard.cache_check import wheel_intact
from dockyard.errors import CommandFailed, DockyardError
from dockyard.paths import cache_dir


def wheelhouse() -> Path:
    path = cache_dir() / "wheelhouse"
    path.mkdir(parents=True, exist_ok=True)
    return path


def built_dir() -> Path:
    path = wheelhouse() / "built"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sdist_dir() -> Path:
    path = wheelhouse() / "sdist"
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- pure helpers (unit-tested) ----------------------------------------------------------

def missing_binaries(pip_stderr: str) -> list[str]:
    """Requirements pip found no wheel for, from `pip download --only-binary` error output."""
    found = re.findall(r"No matching distribution found for ([^\s;]+)", pip_stderr)
    return list(dict.fromkeys(found))


def normalize(name: str) -> str:
    """A project name as wheel file names spell it (PEP 427/503: runs of -_. become _)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def pinned(requirement: str) -> tuple[str, str] | None:
    """(name, version) of an exact `name==version` requirement, else None."""
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^]]*\])?\s*==\s*([A-Za-z0-9.+!_-]+)\s*", requirement)
    return (m.group(1), m.group(2)) if m else None


def cached_file(folder: Path, requirement: str, suffixes: tuple) -> Path | None:
    """A file in `folder` that already satisfies a pinned requirement (a wheel or an sdist)."""
    pin = pinned(requirement)
    if pin is None or not folder.exists():
        return None
    name, version = normalize(pin[0]), pin[1]
    for path in sorted(folder.iterdir()):
        stem = path.name
        for suffix in suffixes:
            if not stem.endswith(suffix):
                continue
            stem = stem[: -len(suffix)]
            parts = stem.split("-")
            if len(parts) >= 2 and normalize(parts[0]) == name and parts[1] == version:
                if suffix == ".whl" and not wheel_intact(path):
                    path.unlink()   # truncated or damaged: fetched or built again by the caller
                    return None
                return path
    return None


# -- host-side work ----------------------------------------------------------------------

def _pip(args: list[str]) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"]
    return subprocess.run(cmd, capture_output=True, text=True)


def _fail(what: str, proc: subprocess.CompletedProcess) -> CommandFailed:
    return CommandFailed.of(what, proc, "check the host's pip configuration, network and free disk space")


def built_wheel(requirement: str, log=print) -> Path:
    """A wheel for `requirement` made on the host from its sdist; cached in the wheelhouse."""
    wheel = cached_file(built_dir(), requirement, (".whl",))
    if wheel is not None:
        return wheel
    sdist = cached_file(sdist_dir(), requirement, (".tar.gz", ".zip"))
    if sdist is None:
        log(f"pip download {requirement} (source distribution, once)")
        proc = _pip(["download", "--quiet", "--no-deps", "--no-binary", ":all:",
                     "--dest", str(sdist_dir()), requirement])
        if proc.returncode != 0:
            raise _fail(f"downloading the sdist of {requirement}", proc)
        sdist = cached_file(sdist_dir(), requirement, (".tar.gz", ".zip"))
        if sdist is None:  # an unpinned requirement: take the newest file pip left
            sdist = max(sdist_dir().iterdir(), key=lambda p: p.stat().st_mtime)
    log(f"pip wheel {sdist.name} (on the host, once)")
    before = set(built_dir().iterdir())
    proc = _pip(["wheel", "--quiet", "--no-deps", "--use-pep517", "--wheel-dir", str(built_dir()), str(sdist)])
    if proc.returncode != 0:
        raise _fail(f"building a wheel from {sdist.name}", proc)
    made = sorted(set(built_dir().iterdir()) - before) or [cached_file(built_dir(), requirement, (".whl",))]
    if not made or made[0] is None:
        raise DockyardError(f"pip wheel left no wheel for {requirement}", "run with --debug and read pip's output")
    return made[0]


def fill(requirements: tuple, target: Path, python_version: str = "3.11", log=print) -> list[Path]:
    """Download `requirements` (and their dependencies) for Linux x86_64 into `target`.

    Wheels come from the index; a requirement with no wheel is built from its sdist on the
    host (`built_wheel`) and then found through `--find-links`, with its dependencies.
    """
    target.mkdir(parents=True, exist_ok=True)
    args = ["download", "--quiet", "--dest", str(target), "--find-links", str(built_dir()),
            "--python-version", python_version,
            "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64",
            "--platform", "linux_x86_64", "--only-binary=:all:", *requirements]
    log("pip download " + " ".join(requirements))
    tried: set[str] = set()
    while True:
        proc = _pip(args)
        if proc.returncode == 0:
            return sorted(target.iterdir())
        missing = [r for r in missing_binaries(proc.stderr) if r not in tried]
        if not missing:
            raise _fail("pip download", proc)
        for requirement in missing:
            tried.add(requirement)
            built_wheel(requirement, log)
