"""Tar archives in memory: what `put_archive`, `get_archive`, `export` and `save` speak."""
from __future__ import annotations

import io
import tarfile
import time


def tar_of(files: dict, mode: int = 0o644) -> bytes:
    """A tar holding `files` ({"path/in/tar": str or bytes}), ready for `container.put_archive`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def joined(chunks) -> bytes:
    """The bytes of a stream of chunks (`container.export()`, `image.save()`, `get_archive`)."""
    return b"".join(chunks)


def read_member(data: bytes, name: str) -> bytes:
    """One file's bytes from a tar held in memory."""
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.extractfile(name)
        if member is None:
            raise KeyError(f"{name} is not a regular file in the archive")
        return member.read()


def names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getnames()
