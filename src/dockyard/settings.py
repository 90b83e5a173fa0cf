"""Environment variables that change what the kit pulls and where it listens. Read here only.

DOCKYARD_DEBIAN_IMAGE          replaces the pinned Debian base (versions.DEBIAN_SLIM_IMAGE);
                               it must still be pinned by digest, NAME:TAG@sha256:<64 hex>
DOCKYARD_KIND_NODE_IMAGE       replaces the pinned kind node image (versions.KIND_NODE_IMAGE);
                               pinned by digest too
DOCKYARD_NODEPORT_HOST_OFFSET  an integer (default 0) added to the host side of every NodePort
                               mapping, so a second cluster on one machine does not collide
"""
from __future__ import annotations

import os
import re

from dockyard import versions
from dockyard.errors import DockyardError

DEBIAN_IMAGE = "DOCKYARD_DEBIAN_IMAGE"
KIND_NODE_IMAGE = "DOCKYARD_KIND_NODE_IMAGE"
NODEPORT_HOST_OFFSET = "DOCKYARD_NODEPORT_HOST_OFFSET"

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def has_digest(ref: str) -> bool:
    return bool(_DIGEST.search(ref))


def _pinned(variable: str, pin: str, env) -> str:
    env = os.environ if env is None else env
    ref = env.get(variable, "").strip()
    if not ref:
        return pin
    if not has_digest(ref):
        raise DockyardError(f"{variable}={ref} is not pinned by digest",
                            f"give NAME:TAG@sha256:<64 hex>, or unset {variable}")
    return ref


def debian_image(env=None) -> str:
    """The Debian image the online way pulls as the catalog's base."""
    return _pinned(DEBIAN_IMAGE, versions.DEBIAN_SLIM_IMAGE, env)


def kind_node_image(env=None) -> str:
    """The node image the online way gives `kind create cluster --image`."""
    return _pinned(KIND_NODE_IMAGE, versions.KIND_NODE_IMAGE, env)


def override_of(ref: str, env=None) -> str:
    """The variable that set `ref`, for a message that says where to fix it; "" for a pin."""
    env = os.environ if env is None else env
    return next((v for v in (DEBIAN_IMAGE, KIND_NODE_IMAGE) if env.get(v, "").strip() == ref), "")


def nodeport_host_offset(env=None) -> int:
    env = os.environ if env is None else env
    text = env.get(NODEPORT_HOST_OFFSET, "").strip() or "0"
    try:
        offset = int(text)
    except ValueError:
        raise DockyardError(f"{NODEPORT_HOST_OFFSET}={text} is not a whole number",
                            "set it to an integer such as 100, or unset it") from None
    if not (1 <= versions.NODEPORT_FIRST + offset and versions.NODEPORT_LAST + offset <= 65535):
        raise DockyardError(f"{NODEPORT_HOST_OFFSET}={offset} moves the host ports outside 1-65535",
                            f"pick an offset between {1 - versions.NODEPORT_FIRST} "
                            f"and {65535 - versions.NODEPORT_LAST}")
    return offset
