"""Data: volumes and bind mounts (lab 6)."""
from __future__ import annotations

import re
from pathlib import Path

from dockyard.labs.checks.docker import _container
from dockyard.labs.checks.images import _remove_quietly
from dockyard.labs.checks.words import _clip
from dockyard.labs.lab import Verdict, missing, passed
from dockyard.versions import LAB_LABEL_KEY


def is_anonymous_volume(name: str | None) -> bool:
    """A volume nobody named: the engine names it with 64 hex digits (`docker run -v /path`)."""
    return bool(re.fullmatch(r"[0-9a-f]{64}", name or ""))


def same_folder(a: str | None, b: str | None) -> bool:
    """Two spellings of one host folder (a trailing slash, a symlink such as macOS's /tmp)."""
    import os
    if not a or not b:
        return False
    return os.path.normpath(a) == os.path.normpath(b) or os.path.realpath(a) == os.path.realpath(b)


def mount_words(mount: dict) -> str:
    """'the volume `notes`', 'an anonymous volume (948b8d790362…)', 'the host folder /x'."""
    kind, name = mount.get("Type"), mount.get("Name") or ""
    if kind == "volume":
        return f"an anonymous volume ({name[:12]}…)" if is_anonymous_volume(name) else f"the volume `{name}`"
    if kind == "bind":
        return f"the host folder {mount.get('Source')}"
    return f"a {kind} mount"


def _is_wanted(mount: dict, volume: str | None, folder: str | None) -> bool:
    if volume:
        return mount.get("Type") == "volume" and mount.get("Name") == volume
    return mount.get("Type") == "bind" and same_folder(mount.get("Source"), folder)


def mount_problem(name: str, mounts: list[dict] | None, destination: str, *, volume: str | None = None,
                  folder: str | None = None, read_only: bool | None = None) -> str | None:
    """What is wrong with what container `name` has at `destination` (its .attrs['Mounts']), or None.

    It should be the named volume `volume`, or a bind mount of the host folder `folder`; with
    `read_only` True (or False) that mode too. The usual mistakes each get their own words: an
    anonymous volume, the right thing at the wrong path, a folder's bare name (which the engine
    takes as a volume's name), a read-write mount where read-only was asked."""
    mounts = mounts or []
    wanted = f"the volume `{volume}`" if volume else f"your folder {folder}"
    here = [m for m in mounts if (m.get("Destination") or "").rstrip("/") == destination.rstrip("/")]
    if not here:
        elsewhere = [m for m in mounts if _is_wanted(m, volume, folder)]
        if elsewhere:
            return (f"container `{name}` mounts {wanted} at {elsewhere[0].get('Destination')}, not at {destination}: "
                    f"inside it, {destination} is a plain folder of its own")
        others = (" (it has " + ", ".join(f"{mount_words(m)} at {m.get('Destination')}" for m in mounts) + ")"
                  if mounts else "")
        if volume:
            return (f"container `{name}` has nothing mounted at {destination}{others}, so {destination} is part of "
                    f"its own filesystem: it does not see what {wanted} holds, and what it writes there goes "
                    "when the container is removed")
        return (f"container `{name}` has nothing mounted at {destination}{others}: it sees only its own files there, "
                "never your folder (files copied in are a copy: a change in your folder never reaches them)")
    mount = here[0]
    if volume and not _is_wanted(mount, volume, folder):
        why = (": a volume without a name is one nobody finds again once its container is gone; create yours "
               "by name and mount that" if mount.get("Type") == "volume" and is_anonymous_volume(mount.get("Name"))
               else "")
        return f"container `{name}` has {mount_words(mount)} at {destination}, not {wanted}{why}"
    if folder and not _is_wanted(mount, volume, folder):
        if mount.get("Type") == "volume" and not is_anonymous_volume(mount.get("Name")):
            return (f"container `{name}` has {mount_words(mount)} at {destination}, not {wanted}: a source without a "
                    "leading / is taken as the name of a volume (the engine made an empty one); give the folder's "
                    "full path")
        return f"container `{name}` has {mount_words(mount)} at {destination}, not {wanted}"
    if read_only is True and mount.get("RW", True):
        return (f"container `{name}` mounts {wanted} at {destination} read-write: the container could change or "
                "delete what is in it; mount it read-only (mode 'ro')")
    if read_only is False and not mount.get("RW", True):
        return (f"container `{name}` mounts {wanted} at {destination} read-only, so it cannot write there: "
                "mount it with mode 'rw'")
    return None


def container_mounts(client, name: str, destination: str, *, volume: str | None = None,
                     folder: str | Path | None = None, read_only: bool | None = None, hint: str = "") -> Verdict:
    """Container `name` has the volume `volume` (or the host folder `folder`) at `destination`."""
    container, absent = _container(client, name, hint)
    if absent is not None:
        return absent
    problem = mount_problem(name, container.attrs.get("Mounts"), destination, volume=volume,
                            folder=str(folder) if folder is not None else None, read_only=read_only)
    return missing(problem) if problem else passed()


def volume_labelled(client, volume: str, lab: str, hint: str = "") -> Verdict:
    """The volume exists and carries the lab's label. A volume the engine made by itself, because a
    container asked for a name that did not exist yet, has no labels: say so."""
    import docker
    try:
        found = client.volumes.get(volume)
    except docker.errors.NotFound:
        return missing(f"there is no volume named `{volume}`" + (f" (hint: {hint})" if hint else ""))
    if (found.attrs.get("Labels") or {}).get(LAB_LABEL_KEY) != lab:
        return missing(f"volume `{volume}` has no label {LAB_LABEL_KEY}={lab}: the engine made it by itself when a "
                       "container asked for it, and such a volume has no labels. Create it first, "
                       "client.volumes.create(name=..., labels=LABELS), so `dockyard lab reset` can remove it")
    return passed()


def volume_holds(client, volume: str, path: str, text: str, image: str, labels: dict | None = None) -> Verdict:
    """The file `path` in the volume holds `text`: a throwaway container mounts the volume
    read-only, prints the file, and is removed again."""
    import docker
    try:
        client.volumes.get(volume)
    except docker.errors.NotFound:   # never let the run below make an empty one of that name
        return missing(f"there is no volume named `{volume}`")
    peek = None
    try:
        peek = client.containers.create(image, ["cat", f"/volume/{path}"], labels=labels or {},
                                        volumes={volume: {"bind": "/volume", "mode": "ro"}})
        peek.start()
        code = peek.wait(timeout=30)["StatusCode"]
        said = peek.logs().decode(errors="replace")
    finally:
        if peek is not None:
            _remove_quietly(peek, force=True)
    if code != 0:
        return missing(f"the volume `{volume}` holds no file {path}")
    if text not in said:
        return missing(f"{path} in the volume `{volume}` holds {_clip(said.strip(), 80)!r}, not {text!r}")
    return passed()


def container_removed(client, name: str, why: str = "") -> Verdict:
    """There is no container `name` any more: removed, not only stopped."""
    container, absent = _container(client, name)
    if absent is not None:
        return passed()
    return missing(f"container `{name}` still exists ({container.status}): a stopped container keeps its files "
                   f"until it is removed; remove it (`.remove()`){why}")
