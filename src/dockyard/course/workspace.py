"""The learner's workspace: copies of the notebooks and labs, outside git, never overwritten.

JupyterLab autosaves outputs into what it serves (LAN addresses, passwords, a learner's answers).
Serving the checkout would write them into tracked files; a workspace keeps the learner's work
theirs, and a `git pull` of the kit never touches it.
"""
from __future__ import annotations

import os
from pathlib import Path

from dockyard.paths import REPO

FOLDERS = ("notebooks", "labs")


def workspace_dir() -> Path:
    """`$DOCKYARD_WORKSPACE`, else ~/dockyard-workspace."""
    return Path(os.environ.get("DOCKYARD_WORKSPACE") or Path.home() / "dockyard-workspace").expanduser()


def presenter_dir() -> Path:
    """The presenter's workspace, beside the learner's: ~/dockyard-workspace-presenter."""
    learner = workspace_dir()
    return learner.with_name(learner.name + "-presenter")


def seed(target: Path, source: Path = REPO, folders: tuple = FOLDERS,
         audience: str = "learner") -> tuple[list[Path], list[Path]]:
    """Write `audience`'s copy (variants.py) of every notebook the workspace does not have yet.
    Returns (copied, kept as they were)."""
    from dockyard.course.variants import write_copy
    where, kit = target.resolve(), source.resolve()
    tracked = where == kit or (kit in where.parents and kit / "build" not in [where, *where.parents])
    if tracked:   # inside the checkout, except its ignored build/ folder
        from dockyard.errors import DockyardError
        raise DockyardError(f"the workspace {target} is inside the kit's checkout",
                            "set DOCKYARD_WORKSPACE to a folder outside it")
    copied, kept = [], []
    for folder in folders:
        for path in sorted((source / folder).glob("*.ipynb")):
            dest = target / folder / path.name
            if dest.exists():
                kept.append(dest)
                continue
            copied.append(write_copy(path, dest, audience))
    return copied, kept
