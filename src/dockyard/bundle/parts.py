"""Reading and writing a bundle's tar: deterministic members, and sha256 while bytes pass."""
from __future__ import annotations

import gzip
import hashlib
import shutil
import tarfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

CHUNK = 1 << 20
GZIP_LEVEL = 6   # level 1 is a third faster and a tenth bigger; the room downloads it, so smaller wins


class Hashing:
    """A writable file that also counts and hashes what goes through it."""

    def __init__(self, out: BinaryIO):
        self.out, self.size, self.digest = out, 0, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()


class Counting:
    """A writable file that counts what goes through it and says so to `on_bytes`."""

    def __init__(self, out: BinaryIO, on_bytes: Callable[[int], None]):
        self.out, self.on_bytes, self.size = out, on_bytes, 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        self.on_bytes(len(data))
        return self.out.write(data)


def compress_to(fill: Callable[[BinaryIO], None], path: Path,
                on_bytes: Callable[[int], None] = lambda n: None) -> tuple[str, int, int]:
    """gzip what `fill(out)` writes into `path`; (sha256 of the file, its size, the raw size).
    No name and no time go into the gzip header, so the same input gives the same bytes."""
    with open(path, "wb") as out:
        hashing = Hashing(out)
        with gzip.GzipFile(filename="", mode="wb", fileobj=hashing, compresslevel=GZIP_LEVEL, mtime=0) as gz:
            raw = Counting(gz, on_bytes)
            fill(raw)
    return hashing.digest.hexdigest(), hashing.size, raw.size


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


def timeless_tar(source: BinaryIO, out: BinaryIO) -> None:
    """Copy a tar stream with every member's time set to 0. The engine's `docker save` stamps
    some folders with the time of the save; nothing else in it changes from one save to the next."""
    with tarfile.open(fileobj=source, mode="r|") as tar_in, \
            tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar_out:
        for member in tar_in:
            member.mtime = 0
            member.pax_headers = {k: v for k, v in member.pax_headers.items() if k not in ("mtime", "atime", "ctime")}
            tar_out.addfile(member, tar_in.extractfile(member) if member.isreg() else None)


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
