"""Two ways to the same images, chosen by what the machine offers.

  online             a registry answers: the Debian base and kind's node image are pulled, each
                     pinned by digest; the other catalog images are built on that base from our
                     Dockerfiles. No Go, no mmdebstrap, no root.
  from source        no registry: the base from Debian packages (mmdebstrap) and the node image
                     from Go modules (Go 1.24+).
  from what is here  the base and a node image are already on the engine: nothing is asked for.

Both give the same catalog references, so no notebook knows which was taken. `decide()` is the
rule and only that (unit-tested); `detect()` gathers the facts; a command decides once (`choose`)
and the steps after it follow that (`settled`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from dockyard import settings, versions
from dockyard.errors import DockyardError

ONLINE = "online"
FROM_SOURCE = "from source"
HERE = "from what is here"
FORCED = (ONLINE, FROM_SOURCE)
# The engine asks the registry; no answer within this many seconds counts as none.
PROBE_TIMEOUT = 10
# What the engine says when the registry answered but has no such manifest: a wrong digest,
# which the pull then names, rather than a silent switch to building for a quarter of an hour.
REGISTRY_SPOKE = ("manifest unknown",)


@dataclass(frozen=True)
class Way:
    name: str
    reason: str

    def line(self) -> str:
        return f"{self.name}: {self.reason}"


def short_ref(ref: str) -> str:
    """`name:tag@sha256:3783…`: enough of the digest to recognise it on one line."""
    name, at, digest = ref.partition("@sha256:")
    return f"{name}@sha256:{digest[:4]}…" if at else ref


def _go(version) -> str:
    return f"Go {version[0]}.{version[1]}"


def _source_reason(go_version, cluster: bool, kube_built: bool, base_present: bool, is_root: bool) -> str:
    parts = []
    if cluster:
        parts.append("Kubernetes is built here already; the node image is assembled from it" if kube_built
                     else f"{_go(go_version)} builds Kubernetes (about 16 min cold)")
    if not base_present and (not cluster or not is_root):
        parts.append("mmdebstrap makes the Debian base" + ("" if is_root else " unprivileged (needs user namespaces)"))
    return "; ".join(parts) or "the Debian base is here; the images are built on it"


def decide(forced: str | None, registry_answers: bool | Callable[[], bool], go_version: tuple | None,
           is_root: bool, base_present: bool, node_present: bool, cluster: bool = True,
           kube_built: bool = False, probe_ref: str = versions.DEBIAN_SLIM_IMAGE) -> Way:
    """The way prepare takes, or a one-line DockyardError when none is open.

    `registry_answers` may be a function, asked only when the answer matters (what is here needs
    no probe). `cluster=False`: images only, so Go is not needed. `forced`: ONLINE, FROM_SOURCE or None.
    """
    def answers() -> bool:
        return bool(registry_answers() if callable(registry_answers) else registry_answers)

    need = versions.GO_MIN_VERSION
    go_ok = go_version is not None and tuple(go_version) >= need
    go_missing = "Go is not installed" if go_version is None else f"{_go(go_version)} is too old"
    ref = short_ref(probe_ref)
    if forced == ONLINE:
        if answers():
            return Way(ONLINE, f"asked for with --online; a registry answers for {ref}")
        raise DockyardError(f"--online, but no registry answers for {ref}",
                            "connect to a network, or run without --online")
    if forced == FROM_SOURCE:
        if cluster and not go_ok:
            raise DockyardError(f"--from-source builds Kubernetes with {_go(need)}+, and {go_missing}",
                                f"install {_go(need)}+ and put `go` on PATH, or run without --from-source")
        return Way(FROM_SOURCE, "asked for with --from-source; "
                   + _source_reason(go_version, cluster, kube_built, base_present, is_root))
    if forced is not None:
        raise ValueError(f"unknown way {forced!r}; known: {', '.join(FORCED)}")
    if base_present and (node_present or not cluster):
        return Way(HERE, ("the base image and a node image are" if cluster else "the base image is")
                   + " on the engine already; no registry or Go needed")
    if answers():
        return Way(ONLINE, f"a registry answers for {ref}")
    if go_ok or not cluster:
        return Way(FROM_SOURCE, "no registry answers; "
                   + _source_reason(go_version, cluster, kube_built, base_present, is_root))
    raise DockyardError(f"no registry answers and {go_missing}, so neither way can make the cluster's images",
                        f"install {_go(need)}+, or `dockyard bundle load FILE`, or connect to a network")


# -- facts from the machine --------------------------------------------------------------

def registry_answers(client, ref: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether a registry answers for `ref`, asked through the engine, so its mirrors count."""
    import docker
    api = client.api
    saved, api.timeout = api.timeout, timeout
    try:
        api.inspect_distribution(ref)
        return True
    except docker.errors.APIError as err:
        text = str(err.explanation or err).lower()
        return any(words in text for words in REGISTRY_SPOKE)
    except Exception:  # a timeout or a dropped connection: no answer
        return False
    finally:
        api.timeout = saved


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def detect(client, forced: str | None = None, cluster: bool = True) -> Way:
    """Gather the facts from the engine and the machine, then `decide()`."""
    from dockyard.cluster import node_image
    from dockyard.cluster.kind import external_context
    from dockyard.host import gobuild
    from dockyard.images.build import existing
    from dockyard.images.catalog import image
    from dockyard.paths import tools_dir
    cluster = cluster and not external_context()   # another cluster: no node image needed
    base_present = existing(client, image("base").ref) is not None
    node_present = cluster and base_present and (
        existing(client, node_image.node_image_ref()) is not None
        or existing(client, settings.kind_node_image()) is not None)
    debian = settings.debian_image()
    here = forced is None and base_present and (node_present or not cluster)
    go = None if here else gobuild.go_version()      # what is here needs neither Go nor its builds
    built = not here and all((tools_dir() / c).exists() for c in gobuild.KUBE_COMMANDS)  # for the wording only
    return decide(forced, lambda: registry_answers(client, debian), go, is_root(),
                  base_present, node_present, cluster, built, debian)


# -- the way of this run -----------------------------------------------------------------

_settled: Way | None = None


def settled() -> Way | None:
    """The way this process decided on, if it did."""
    return _settled


def settle(way: Way) -> Way:
    global _settled
    _settled = way
    return way


def choose(client, forced: str | None = None, cluster: bool = True) -> Way:
    """Decide once; the steps after (images, cluster, the kind binary) follow it."""
    return settle(detect(client, forced, cluster))


def current(client, cluster: bool = True) -> Way:
    return _settled or choose(client, None, cluster)
