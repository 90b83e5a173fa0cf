"""Where the kit keeps things. Caches live outside the checkout so a fresh clone reuses them."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"


def cache_dir() -> Path:
    base = os.environ.get("DOCKYARD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dockyard")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def tools_dir() -> Path:
    """The kit's own kind, kubectl and Kubernetes binaries, built from Go modules."""
    from .versions import KUBERNETES_VERSION
    return cache_dir() / "bin" / KUBERNETES_VERSION


def tool(name: str) -> str | None:
    """Our built binary if present, else one on PATH, else None."""
    import shutil
    ours = tools_dir() / name
    return str(ours) if ours.exists() else shutil.which(name)
