"""`dockyard clean` and `lab reset`: remove exactly what the kit and its notebooks made.

Docker copies an image's labels onto every container run from it and every image built FROM it,
so a label alone cannot tell the kit's objects from a learner's. The rule: an object is ours when
it carries our label *and did not inherit it*, that is, its source (a container's image, an
image's parent) does not carry the same value. Volumes, networks and namespaces inherit nothing.
A container run from an image that we made ourselves goes with that image.

The prepared state is kept unless `everything` is asked for: catalog images and the cluster's
images are kept by reference, and the kind nodes belong to `cluster down`.
"""
from __future__ import annotations

from dataclasses import dataclass

from dockyard import versions
from dockyard.labels import label_filter, labels_of, own_label


@dataclass
class Found:
    kind: str      # container, network, volume, image, namespace
    name: str
    ident: str


def images_to_remove(images: list[tuple[str, list[str]]], keep_refs: set[str], everything: bool) -> list[Found]:
    """From our (id, tags) pairs, the ones to remove: all but the prepared state unless `everything`."""
    out = []
    for ident, tags in images:
        if not everything and any(short_ref(tag) in keep_refs for tag in tags):
            continue
        out.append(Found("image", ", ".join(tags) or f"<untagged {ident[7:19]}>", ident))
    return out


def kit_refs() -> set[str]:
    """Tags of the prepared state: the image catalog and the cluster's components."""
    from dockyard.cluster import node_image
    from dockyard.images.catalog import catalog_refs
    refs = catalog_refs() | {c.ref for c in node_image.COMPONENTS} | {node_image.BASE_REF}
    return {short_ref(r) for r in refs | {node_image.node_image_ref()}}


def short_ref(ref: str) -> str:
    """The engine lists docker.io/kindest/x:1 as kindest/x:1; compare in that form."""
    for prefix in ("docker.io/library/", "docker.io/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def is_kit_container(container_labels: dict) -> bool:
    """kind's nodes belong to `cluster down` (which `clean --all` runs first)."""
    return versions.KIND_CLUSTER_LABEL in container_labels


def is_label_step(attrs: dict) -> bool:
    """A build step that only set labels (a build's `labels=` adds one per label, at the end)."""
    cmd = " ".join((attrs.get("ContainerConfig") or {}).get("Cmd") or [])
    return "#(nop)" in cmd and cmd.split("#(nop)", 1)[1].strip().startswith("LABEL ")


def source_labels(client, attrs: dict) -> dict:
    """The labels of the image this one was built FROM (as far as the engine records parents):
    up the parent chain, past the steps that only set labels."""
    import docker
    while is_label_step(attrs) and attrs.get("Parent"):
        try:
            attrs = client.api.inspect_image(attrs["Parent"])
        except docker.errors.NotFound:
            return {}
    return labels_of(client, attrs.get("Parent"))


def our_images(client, key: str, flt: dict) -> list:
    """Images that carry our label set by their own build (`labels=`), not copied from a FROM."""
    return [i for i in client.images.list(filters=flt) if own_label(i.labels, source_labels(client, i.attrs), key)]


def our_containers(client, key: str, flt: dict, our_image_ids: set[str]) -> list:
    """Containers labelled at creation, or run from an image we made (which goes too)."""
    out = []
    for c in client.containers.list(all=True, filters=flt, ignore_removed=True):   # others remove too
        if is_kit_container(c.labels):
            continue
        image_id = c.attrs.get("ImageID") or c.attrs.get("Image", "")
        if image_id in our_image_ids or own_label(c.labels, labels_of(client, image_id), key):
            out.append(c)
    return out


def find(client, workshop: str | None = None, everything: bool = False, lab: str | None = None) -> list[Found]:
    key = versions.LAB_LABEL_KEY if lab else versions.LABEL_KEY
    flt = {"label": f"{versions.LAB_LABEL_KEY}={lab}" if lab else label_filter(workshop)}
    # The image a running cluster was made from stays too, even when the recipe moved on.
    kind_nodes = client.containers.list(all=True, filters={"label": versions.KIND_CLUSTER_LABEL},
                                        ignore_removed=True)
    keep = kit_refs() | {short_ref(tag) for node in kind_nodes for tag in node.image.tags}
    labelled = [(i.id, i.tags) for i in our_images(client, key, flt)]
    made = images_to_remove(labelled, keep, everything=False)   # by notebooks, not prepared
    found = [Found("container", c.name, c.id)
             for c in our_containers(client, key, flt, {f.ident for f in made})]
    found += [Found("network", n.name, n.id) for n in client.networks.list(filters=flt)]
    found += [Found("volume", v.name, v.id) for v in client.volumes.list(filters=flt)]
    found += images_to_remove(labelled, keep, everything) if everything else made
    if everything and not lab:
        found += prepared_images(client, {f.ident for f in found})
    return found


def prepared_images(client, already: set[str]) -> list[Found]:
    """The catalog's and the cluster's images, by reference (`clean --all`)."""
    import docker
    out = []
    for ref in sorted(kit_refs()):
        try:
            img = client.images.get(ref)
        except docker.errors.ImageNotFound:
            continue
        if img.id not in already:
            already.add(img.id)
            out.append(Found("image", ref, ref))
    return out


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
    for item in images:  # an image another one was built FROM: untag it, its layers stay for the child
        try:
            for tag in client.images.get(item.ident).tags:
                client.images.remove(tag)
            removed.append(item)
            log(f"untagged image {item.name} (an image built FROM it keeps its layers)")
        except docker.errors.APIError:
            pass
    return removed


def clean_namespaces(workshop: str | None, log=print, lab: str | None = None) -> list[Found]:
    """Delete the namespaces our notebooks made, when a cluster answers. Quiet when none does."""
    try:
        from dockyard.kube import api_client_or_none
    except ImportError:
        return []
    api = api_client_or_none()
    if api is None:
        return []
    from kubernetes import client as k8s
    core = k8s.CoreV1Api(api)
    removed = []
    from dockyard.kube import empty_given_namespace, given_namespace, owner_labels
    if given_namespace():
        selector = f"{versions.LAB_LABEL_KEY}={lab}" if lab else label_filter(workshop)
        return [Found(*made) for made in empty_given_namespace(api, given_namespace(), selector, log)]
    mine = ",".join(f"{k}={v}" for k, v in owner_labels().items())
    selector = (f"{versions.LAB_LABEL_KEY}={lab}" if lab else label_filter(workshop)) + f",{mine}"
    for ns in core.list_namespace(label_selector=selector).items:
        if ns.status.phase != "Terminating":
            core.delete_namespace(ns.metadata.name)
        removed.append(Found("namespace", ns.metadata.name, ns.metadata.uid))
        log(f"removed namespace {ns.metadata.name}")
        # A notebook that stopped half-way may have left a node cordoned or labelled.
        from dockyard.kube import release_nodes
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
