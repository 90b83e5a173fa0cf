"""Reading and writing a bundle's tar: deterministic members, and sha256 while bytes pass."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tarfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

CHUNK = 1 << 20
GZIP_LEVEL = 6   # level 1 is a third faster and a tenth bigger; the room downloads it, so smaller wins


class Passing:
    """A writable file that counts what goes through it, tells `on_bytes`, and hashes it if asked."""

    def __init__(self, out: BinaryIO, on_bytes: Callable[[int], None] = lambda n: None, hashing: bool = False):
        self.out, self.on_bytes, self.size = out, on_bytes, 0
        self.digest = hashlib.sha256() if hashing else None

    def write(self, data: bytes) -> int:
        if self.digest is not None:
            self.digest.update(data)
        self.size += len(data)
        self.on_bytes(len(data))
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()


def compress_to(fill: Callable[[BinaryIO], None], path: Path,
                on_bytes: Callable[[int], None] = lambda n: None) -> tuple[str, int, int]:
    """gzip what `fill(out)` writes into `path`; (sha256 of the file, its size, the raw size).
    No name and no time go into the gzip header, so the same input gives the same bytes."""
    with open(path, "wb") as out:
        written = Passing(out, hashing=True)
        with gzip.GzipFile(filename="", mode="wb", fileobj=written, compresslevel=GZIP_LEVEL, mtime=0) as gz:
            raw = Passing(gz, on_bytes)
            fill(raw)
    return written.digest.hexdigest(), written.size, raw.size


class ChunkReader:
    """A readable file over an iterator of byte chunks (what docker-py streams)."""

    def __init__(self, chunks: Iterable[bytes]):
        self.chunks, self.current, self.offset = iter(chunks), b"", 0

    def read(self, size: int = -1) -> bytes:
        pieces = []
        while size != 0:
            if self.offset == len(self.current):
                chunk = next(self.chunks, None)
                if chunk is None:
                    break
                self.current, self.offset = chunk, 0
                continue
            end = len(self.current) if size < 0 else min(len(self.current), self.offset + size)
            pieces.append(self.current[self.offset:end])
            size -= (end - self.offset) if size > 0 else 0
            self.offset = end
        return b"".join(pieces)


def canonical_image_tar(source: BinaryIO, out: BinaryIO, scratch: Path) -> None:
    """Write a `docker save` stream again so that the same images always give the same bytes.

    The engine stamps some folders with the time of the save, and when two images share a layer it
    picks at random which folder gets the file and which a link to it, and names that choice in
    manifest.json. Here the file goes to the first folder by name, manifest.json names that
    folder, the members come in name order and every time is 0. `scratch` is unpacked into, then
    removed."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        with tarfile.open(fileobj=source, mode="r|") as tar:
            try:
                tar.extractall(scratch, filter="tar")
            except TypeError:   # Python before 3.11.4 has no filter; the stream is our own engine's
                tar.extractall(scratch)
        first_of = _one_file_per_layer(scratch)
        manifest = scratch / "manifest.json"
        entries = json.loads(manifest.read_text())
        for entry in entries:
            entry["Layers"] = [f"{first_of[Path(p).parent.name]}/layer.tar" for p in entry["Layers"]]
        entries.sort(key=lambda e: json.dumps(e.get("RepoTags"), sort_keys=True))
        manifest.write_text(json.dumps(entries, separators=(",", ":"), sort_keys=True))
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(scratch.rglob("*"), key=lambda p: p.relative_to(scratch).as_posix()):
                info = tar.gettarinfo(str(path), path.relative_to(scratch).as_posix())
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                if info.isreg():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _one_file_per_layer(root: Path) -> dict[str, str]:
    """Each layer's file in the first of the folders that hold it, links in the others; for every
    folder, the folder that holds its file."""
    holders: dict[Path, list[str]] = {}
    for layer in sorted(root.glob("*/layer.tar")):
        holders.setdefault(layer.resolve(), []).append(layer.parent.name)
    first_of = {}
    for real, folders in holders.items():
        first = min(folders)
        moved = root / first / ".layer.tar.moving"
        os.replace(real, moved)
        for folder in folders:
            (root / folder / "layer.tar").unlink(missing_ok=True)
        os.replace(moved, root / first / "layer.tar")
        for folder in folders:
            first_of[folder] = first
            if folder != first:
                os.symlink(f"../{first}/layer.tar", root / folder / "layer.tar")
    return first_of


def copy_into(chunks: Iterable[bytes]) -> Callable[[BinaryIO], None]:
    def fill(out: BinaryIO) -> None:
        for chunk in chunks:
            out.write(chunk)
    return fill


def file_chunks(path: Path) -> Iterable[bytes]:
    with open(path, "rb") as f:
        yield from iter(lambda: f.read(CHUNK), b"")


def member_info(name: str, size: int) -> tarfile.TarInfo:
    """A member with nothing of the machine in it (time, owner), so saving twice gives the same tar."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_tar(path: Path, members: list[tuple[str, Path]]) -> None:
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, source in members:
            with open(source, "rb") as f:
                tar.addfile(member_info(name, source.stat().st_size), f)


def copy_hashing(source: BinaryIO, out: BinaryIO | None, on_bytes: Callable[[int], None] = lambda n: None) -> str:
    """Read `source` to its end (copying into `out` if given); its sha256."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: source.read(CHUNK), b""):
        digest.update(chunk)
        if out is not None:
            out.write(chunk)
        on_bytes(len(chunk))
    return digest.hexdigest()


def place(source: Path, target: Path, mode: int = 0o755) -> None:
    """Put a file at `target` all at once (a temporary name beside it, then a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    partial.chmod(mode)
    partial.replace(target)
