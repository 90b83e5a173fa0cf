"""Files in the kit's caches are checked before use: a truncated binary or wheel (a full disk,
a killed copy) is found and made again, never used.

A built binary gets a `.sha256` beside it when its build finishes; a wheel is a zip whose every
member carries a CRC, so it checks itself.
"""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def seal(path: Path) -> None:
    """Record a finished file's hash beside it."""
    tmp = sidecar(path).with_suffix(".tmp")
    tmp.write_text(sha256_of(path) + "\n")
    tmp.replace(sidecar(path))


def intact(path: Path) -> bool:
    """Present and matching its recorded hash. A file from before hashes were kept is sealed as is."""
    if not path.is_file():
        return False
    if not sidecar(path).exists():
        seal(path)
        return True
    return sidecar(path).read_text().strip() == sha256_of(path)


def wheel_intact(path: Path) -> bool:
    """A wheel (zip) whose members all read back with the right CRC."""
    try:
        with zipfile.ZipFile(path) as wheel:
            return wheel.testzip() is None
    except (zipfile.BadZipFile, OSError):
        return False
