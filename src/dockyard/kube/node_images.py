"""Which images the nodes report, and a wait until every node lists one."""
from __future__ import annotations

import time

from dockyard.errors import WaitTimedOut
from dockyard.kube.watch import watch_until


def full_image_ref(ref: str) -> str:
    """An image reference spelled the way containerd and node status spell it.

    `busybox:1.35` → `docker.io/library/busybox:1.35`, `dockyard/busybox:1.35` →
    `docker.io/dockyard/busybox:1.35`; a reference naming its registry stays as it is; no tag
    means `:latest`.
    """
    first, slash, _ = ref.partition("/")
    if not slash:
        ref = f"docker.io/library/{ref}"
    elif not ("." in first or ":" in first or first == "localhost"):
        ref = f"docker.io/{ref}"
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        ref += ":latest"
    return ref


def node_lists_image(node, image_ref: str) -> bool:
    """Does the node's status (what its kubelet last reported) list `image_ref`?"""
    want = full_image_ref(image_ref)
    images = (node.status.images if node.status else None) or []
    return any(full_image_ref(name) == want for i in images for name in i.names or [])


def nodes_missing_image(nodes, image_ref: str) -> list[str]:
    """Names of the nodes whose status does not list `image_ref`, sorted."""
    return sorted(n.metadata.name for n in nodes if not node_lists_image(n, image_ref))


def wait_image_on_nodes(core, image_ref: str, timeout: float = 60, quiet: bool = False) -> list[str]:
    """Watch the nodes until every kubelet lists `image_ref` in its node status; the node names.

    `kind load` puts the image into each node's containerd at once, but a kubelet reports its
    images in node status only with its next status update (every ~10 s), so `status.images`
    lags behind. A pod does not need this wait (the kubelet asks containerd); a check that
    reads node status does.
    """
    start = time.monotonic()
    listed: set[str] = set()

    def predicate(nodes):
        missing = nodes_missing_image(nodes.values(), image_ref)
        for name in sorted(set(nodes) - set(missing) - listed):
            listed.add(name)
            if not quiet:
                print(f"  {time.monotonic() - start:5.1f}s  {name} lists {image_ref}")
        return sorted(nodes) if nodes and not missing else None

    try:
        return watch_until(core.list_node, predicate, timeout=timeout, what=f"every node to list {image_ref}")
    except WaitTimedOut:
        missing = nodes_missing_image(core.list_node(_request_timeout=10).items, image_ref)
        raise WaitTimedOut(f"after {timeout:.0f}s, node status of {', '.join(missing) or 'no node'} "
                           f"still does not list {image_ref}",
                           f"`kubectl get node {missing[0] if missing else ''} -o jsonpath='{{.status.images[*].names}}'`;"
                           " a kubelet reports at most 50 images (the biggest first)") from None
