"""Everything the kit creates carries one label; `dockyard clean` removes exactly that.

The kit's prepared state is kept unless `everything` is asked for: catalog images, the
cluster's component and node images, and the kind node containers. Images built FROM our
base inherit its label, so "kit or not" is decided by tag, not by label. Leftovers of an interrupted build are untagged images that
inherited the label from our base image, so they are found the same way.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import versions
from .notebook import label_filter


@dataclass
class Found:
    kind: str      # container, network, volume, image, namespace
    name: str
    ident: str


def images_to_remove(images: list[tuple[str, list[str]]], keep_refs: set[str], everything: bool) -> list[Found]:
    """From labelled (id, tags) pairs, the ones to remove: all but catalog images unless `everything`."""
    out = []
    for ident, tags in images:
        if not everything and any(short_ref(tag) in keep_refs for tag in tags):
            continue
        out.append(Found("image", ", ".join(tags) or f"<untagged {ident[7:19]}>", ident))
    return out




def kit_refs() -> set[str]:
    """Tags of the prepared state: the image catalog and the cluster's components."""
    from .images.catalog import catalog_refs
    from .cluster import node_image
    refs = catalog_refs() | {c.ref for c in node_image.COMPONENTS} | {node_image.BASE_REF}
    return {short_ref(r) for r in refs | {node_image.node_image_ref()}}


def short_ref(ref: str) -> str:
    """The engine lists docker.io/kindest/x:1 as kindest/x:1; compare in that form."""
    for prefix in ("docker.io/library/", "docker.io/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def is_kit_container(container_labels: dict) -> bool:
    """kind's nodes inherit our label from the node image; they belong to `cluster down`."""
    return versions.KIND_CLUSTER_LABEL in container_labels


def find(client, workshop: str | None = None, everything: bool = False, lab: str | None = None) -> list[Found]:
    flt = {"label": f"{versions.LAB_LABEL_KEY}={lab}" if lab else label_filter(workshop)}
    found = [Found("container", c.name, c.id) for c in client.containers.list(all=True, filters=flt)
             if everything or not is_kit_container(c.labels)]
    found += [Found("network", n.name, n.id) for n in client.networks.list(filters=flt)]
    found += [Found("volume", v.name, v.id) for v in client.volumes.list(filters=flt)]
    labelled = [(i.id, i.tags) for i in client.images.list(filters=flt)]
    # The image a running cluster was made from stays too, even when the recipe moved on.
    kind_nodes = client.containers.list(all=True, filters={"label": versions.KIND_CLUSTER_LABEL})
    node_images = {short_ref(tag) for node in kind_nodes for tag in node.image.tags}
    found += images_to_remove(labelled, kit_refs() | node_images, everything)
    return found


def remove(client, found: list[Found], log=print) -> list[Found]:
    """Remove in dependency order; an image still used by another is retried after it."""
    import docker
    removed = []
    for item in found:
        try:
            if item.kind == "container":
                client.containers.get(item.ident).remove(force=True, v=True)
            elif item.kind == "network":
                client.networks.get(item.ident).remove()
            elif item.kind == "volume":
                client.volumes.get(item.ident).remove(force=True)
            else:
                continue
            removed.append(item)
            log(f"removed {item.kind} {item.name}")
        except docker.errors.NotFound:
            pass
    images = [f for f in found if f.kind == "image"]
    for _ in range(3):  # children before parents: a few passes settle it
        left = []
        for item in images:
            try:
                client.images.remove(item.ident, force=True)
                removed.append(item)
                log(f"removed image {item.name}")
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError:
                left.append(item)
        images = left
    return removed


def clean_namespaces(workshop: str | None, log=print, lab: str | None = None) -> list[Found]:
    """Delete the namespaces our notebooks made, when a cluster answers. Quiet when none does."""
    try:
        from .kube import api_client_or_none
    except ImportError:
        return []
    api = api_client_or_none()
    if api is None:
        return []
    from kubernetes import client as k8s
    core = k8s.CoreV1Api(api)
    removed = []
    selector = f"{versions.LAB_LABEL_KEY}={lab}" if lab else label_filter(workshop)
    for ns in core.list_namespace(label_selector=selector).items:
        if ns.status.phase != "Terminating":
            core.delete_namespace(ns.metadata.name)
        removed.append(Found("namespace", ns.metadata.name, ns.metadata.uid))
        log(f"removed namespace {ns.metadata.name}")
        # A notebook that stopped half-way may have left a node cordoned or labelled.
        from .kube import release_nodes
        for node in release_nodes(core, ns.metadata.name, log=log):
            removed.append(Found("node change", node, node))
    return removed


def clean(client, workshop: str | None = None, everything: bool = False, log=print) -> list[Found]:
    removed = remove(client, find(client, workshop, everything), log)
    removed += clean_namespaces(workshop, log)
    return removed


def reset_lab(client, lab: str, log=print) -> list[Found]:
    """`dockyard lab reset NAME`: what that lab's learner made (its label), and its namespaces."""
    removed = remove(client, find(client, lab=lab), log)
    removed += clean_namespaces(None, log, lab=lab)
    return removed
