"""`dockyard classroom up` and `down`: the hub on the current cluster, and every trace of it gone."""
from __future__ import annotations

import secrets
import time

from dockyard import kube, versions
from dockyard.classroom import deploy, room
from dockyard.display import Progress
from dockyard.errors import DockyardError
from dockyard.timings import timed

ROOM = versions.CLASSROOM_NAMESPACE
# What the Kubernetes notebooks and labs run: a learner cannot load an image into a node, so the
# room's nodes get these with the hub's.
NODE_IMAGES = ("busybox", "webapp", "python")


def default_storage_class(api) -> str:
    from kubernetes import client
    classes = client.StorageV1Api(api).list_storage_class().items
    for sc in classes:
        if (sc.metadata.annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true":
            return sc.metadata.name
    names = ", ".join(sc.metadata.name for sc in classes) or "none"
    raise DockyardError(f"the cluster has no default storage class (classes: {names}); each learner's "
                        "workspace is a PersistentVolumeClaim",
                        "mark one default: kubectl patch storageclass NAME -p "
                        "'{\"metadata\":{\"annotations\":{\"storageclass.kubernetes.io/is-default-class\":\"true\"}}}'")


def unreserved_memory(api) -> int:
    """Allocatable memory of the nodes that take the room's pods, minus what pods there request."""
    from kubernetes import client
    core = client.CoreV1Api(api)
    names = set(schedulable_nodes(api))
    free = sum(kube.quantity_bytes(n.status.allocatable["memory"]) for n in core.list_node().items
               if n.metadata.name in names)
    for pod in core.list_pod_for_all_namespaces(field_selector="status.phase=Running").items:
        if pod.spec.node_name not in names:
            continue
        for c in pod.spec.containers:
            requests = (c.resources and c.resources.requests) or {}
            free -= kube.quantity_bytes(requests.get("memory", "0"))
    return int(free)


def check_capacity(api, learners: int) -> None:
    why = room.fits(learners, unreserved_memory(api))
    if why:
        raise DockyardError(why, "ask for fewer learners, or add nodes (README: How far a classroom goes)")


def passwords(core, namespace: str, room_password: str | None) -> tuple[str, str]:
    """The room's and the presenter's passwords: kept from the last `up`, unless a new room password is given."""
    from kubernetes import client
    import base64
    old = {}
    try:
        data = core.read_namespaced_secret(deploy.SECRET, namespace).data or {}
        old = {k: base64.b64decode(v).decode() for k, v in data.items()}
    except client.ApiException as err:
        if err.status != 404:
            raise
    if room_password is not None and len(room_password) < room.ROOM_PASSWORD_MIN:
        raise DockyardError(f"the room's password is {len(room_password)} characters; JupyterHub takes "
                            f"{room.ROOM_PASSWORD_MIN} or more", "pass a longer --password")
    presenter = old.get("presenter", "")
    if len(presenter) < room.PRESENTER_PASSWORD_MIN:
        presenter = secrets.token_urlsafe(24)
    return room_password or old.get("room") or secrets.token_urlsafe(6), presenter


def schedulable_nodes(api) -> list[str]:
    """Nodes that take the room's pods: not cordoned, no NoSchedule taint (kind's control plane has one)."""
    from kubernetes import client
    return sorted(n.metadata.name for n in client.CoreV1Api(api).list_node().items
                  if not n.spec.unschedulable and not any(t.effect == "NoSchedule" for t in n.spec.taints or []))


def load_images(api, refs: list[str], progress: Progress) -> None:
    """Into the nodes that run the room's pods only: each node takes a copy of every image."""
    from dockyard.cluster.kind import load_image
    nodes = schedulable_nodes(api)
    for ref in refs:
        progress.line(f"loading {ref} into {', '.join(nodes)}")
        load_image(ref, nodes=nodes)


def up(learners: int, room_password: str | None = None, context: str | None = None) -> dict:
    """Deploy (or update) the hub; returns what the presenter needs: learners, passwords, timings."""
    import docker
    from kubernetes import client
    from dockyard.classroom.cards import learner_names
    from dockyard.classroom.image import ensure
    from dockyard.images.catalog import image
    names = learner_names(learners)
    api = kube.api_client(context, probe=True)
    storage_class = default_storage_class(api)
    check_capacity(api, learners)
    progress = Progress("Classroom")
    engine_ref, image_ref = image("docker-daemon").ref, image("classroom").ref
    with progress.step("Images: the hub and learners' JupyterLab, and the learners' engine"):
        with timed("classroom", "images"):
            ensure(docker.from_env(), progress)
    if kube.is_kind_context(context):
        with progress.step("Loading the images into the nodes"), timed("classroom", "load into nodes"):
            load_images(api, [image_ref, engine_ref, *(image(key).ref for key in NODE_IMAGES)], progress)
    core = client.CoreV1Api(api)
    started = time.monotonic()
    with progress.step(f"Hub in namespace {ROOM}"):
        objects = deploy.hub_objects(ROOM, image_ref, engine_ref, names, storage_class)
        deploy.apply(api, objects[:1])
        room_pw, presenter_pw = passwords(core, ROOM, room_password)
        deploy.apply(api, [deploy.password_secret(ROOM, room_pw, presenter_pw), *objects[1:]])
        restart_if_changed(api)
        kube.wait_for_rollout(client.AppsV1Api(api), ROOM, "hub", timeout=240, quiet=True)
    hub_seconds = time.monotonic() - started
    from dockyard.timings import record
    record("classroom", "hub ready", hub_seconds)
    return {"namespace": ROOM, "learners": names, "room_password": room_pw,
            "presenter_password": presenter_pw, "hub_seconds": hub_seconds}


def restart_if_changed(api) -> None:
    """A new image under the same tag is not a change the Deployment sees: roll it by the image's ID."""
    import docker
    from kubernetes import client
    from dockyard.images.catalog import image
    ident = docker.from_env().images.get(image("classroom").ref).id[7:19]
    client.AppsV1Api(api).patch_namespaced_deployment("hub", ROOM, {"spec": {"template": {"metadata": {
        "annotations": {"dockyard.image-id": ident}}}}})


def down(context: str | None = None, timeout: float = 180, log=print) -> list[str]:
    """Remove the hub, every learner's namespace (their servers, workspaces and what they ran) and
    the hub's cluster-wide role. Nothing without the room's label is touched."""
    from kubernetes import client
    api = kube.api_client(context, probe=True)
    core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    selector = f"{room.ROOM_LABEL}={ROOM}"
    removed = []
    for kind, lister, deleter in [
            ("clusterrolebinding", rbac.list_cluster_role_binding, rbac.delete_cluster_role_binding),
            ("clusterrole", rbac.list_cluster_role, rbac.delete_cluster_role)]:
        for obj in lister(label_selector=selector).items:
            deleter(obj.metadata.name)
            removed.append(f"{kind} {obj.metadata.name}")
    namespaces = [ns.metadata.name for ns in core.list_namespace(label_selector=selector).items]
    for name in namespaces:   # all at once, then one wait: pods without grace, so it goes fast
        core.delete_collection_namespaced_pod(name, grace_period_seconds=0)
        core.delete_namespace(name)
        removed.append(f"namespace {name}")
    if namespaces:
        kube.watch_until(core.list_namespace, lambda objs: not objs, timeout=timeout,
                         what=f"the classroom's {len(namespaces)} namespaces to go", label_selector=selector)
    for line in removed:
        log(f"removed {line}")
    return removed
