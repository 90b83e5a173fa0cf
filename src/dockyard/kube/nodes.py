"""Nodes a notebook changed (cordon, labels) carry an annotation, so a crashed run can be undone."""
from __future__ import annotations

from dockyard import versions

TOUCHED_ANNOTATION = f"{versions.LABEL_KEY}/touched-by"


def mark_touched(core, node: str, namespace: str) -> None:
    """Annotate a node before a notebook changes it, so `release_nodes` can undo the change."""
    body = {"metadata": {"annotations": {TOUCHED_ANNOTATION: namespace}}}
    core.patch_node(node, body, _request_timeout=10)


def release_nodes(core, namespace: str | None = None, label_prefix: str = f"{versions.LABEL_KEY}/",
                  log=print) -> list[str]:
    """Undo what notebooks did to nodes: uncordon, drop our labels and the annotation.

    Only nodes annotated by `namespace` (any of ours when None). Returns the nodes released.
    """
    released = []
    for node in core.list_node(_request_timeout=10).items:
        owner = (node.metadata.annotations or {}).get(TOUCHED_ANNOTATION)
        if owner is None or (namespace is not None and owner != namespace):
            continue
        labels = {k: None for k in (node.metadata.labels or {}) if k.startswith(label_prefix)}
        body = {"metadata": {"labels": labels, "annotations": {TOUCHED_ANNOTATION: None}},
                "spec": {"unschedulable": None}}
        core.patch_node(node.metadata.name, body, _request_timeout=10)
        released.append(node.metadata.name)
        log(f"released node {node.metadata.name} (uncordoned, labels {', '.join(labels) or 'none'} removed)")
    return released


def release_orphaned_nodes(core, namespace: str, log=print) -> list[str]:
    """Undo node changes left by a crashed run: ours, or by a namespace that no longer exists."""
    live = {n.metadata.name for n in core.list_namespace(_request_timeout=10).items
            if n.status.phase != "Terminating"}
    owners = {(n.metadata.annotations or {}).get(TOUCHED_ANNOTATION) for n in core.list_node(_request_timeout=10).items}
    released = []
    for owner in owners - {None}:
        if owner == namespace or owner not in live:
            if owner != namespace:
                log(f"⚠ nodes changed by {owner}, a run that did not finish:")
            released += release_nodes(core, owner, log=log)
    return released
