"""Where the kit keeps things. Caches live outside the checkout so a fresh clone reuses them."""
import os
from pathlib import Path

from dockyard.versions import KUBERNETES_VERSION

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"


def cache_dir() -> Path:
    base = os.environ.get("DOCKYARD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dockyard")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def tools_dir() -> Path:
    """The Kubernetes binaries (kubectl, kubeadm, kubelet…) built from Go modules; other programs
    such as kind live beside it, one folder per version (gobuild.program_path)."""
    return cache_dir() / "bin" / KUBERNETES_VERSION

