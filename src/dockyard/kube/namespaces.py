"""Names and namespaces: one per run and topic, owned, and removed without touching others'."""
from __future__ import annotations

import os
import re
import time

from dockyard import versions
from dockyard.errors import DockyardError, WaitTimedOut
from dockyard.kube.context import is_kind_context, kube_context
from dockyard.kube.watch import watch_until


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def given_namespace() -> str:
    """The namespace a classroom gave this learner ($DOCKYARD_NAMESPACE): used instead of making one."""
    return os.environ.get(versions.NAMESPACE_ENV, "")


def namespace_for(name_prefix: str, topic: str, namespace: str = "") -> str:
    """The notebook's namespace: the parameter when given, else the classroom's, else
    `<prefix>-<topic>`, and on a shared cluster `<owner>-<prefix>-<topic>`, so two learners'
    defaults never meet."""
    namespace = namespace or given_namespace()
    default = f"{name_prefix}-{topic}"
    if not is_kind_context():
        from dockyard.host.identity import owner
        default = f"{owner(kube_context())}-{default}"
    name = (namespace or default).lower()
    if len(name) > 63 or not _DNS_LABEL.match(name):
        raise DockyardError(f"{name!r} is not a valid namespace name",
                            "use lower-case letters, digits and '-', at most 63 characters")
    return name


def _wait_namespace_gone(core, name: str, timeout: float) -> bool:
    from kubernetes import client
    def gone(objs):
        return name not in objs
    try:
        watch_until(core.list_namespace, gone, timeout=timeout, what=f"namespace {name} to go",
                    field_selector=f"metadata.name={name}")
        return True
    except WaitTimedOut:
        return False
    except client.ApiException:
        return False


def owner_labels() -> dict:
    """{dockyard.owner: who}: set on every namespace we make, and in every selector that removes."""
    from dockyard.host.identity import owner
    return {versions.OWNER_LABEL_KEY: owner(None if is_kind_context() else kube_context())}


def fresh_namespace(core, name: str, workshop: str = versions.DEFAULT_WORKSHOP, timeout: float = 90):
    """Create the per-run namespace, labelled for `dockyard clean`.

    One left by a crashed run (it carries our label) is deleted and made again, and we say so;
    a namespace that is not ours is never touched.
    """
    from kubernetes import client
    if name == given_namespace():   # a classroom's: the hub made it, and it holds the learner's server
        return core.read_namespace(name, _request_timeout=10)
    try:
        old = core.read_namespace(name, _request_timeout=10)
    except client.ApiException as err:
        if err.status != 404:
            raise
        old = None
    me = owner_labels()
    if old is not None:
        labels = old.metadata.labels or {}
        if versions.LABEL_KEY not in labels:
            raise DockyardError(f"namespace {name!r} already exists and is not the workshop's "
                                f"(no {versions.LABEL_KEY} label)",
                                "pass another `namespace` parameter, or another name_prefix")
        theirs = labels.get(versions.OWNER_LABEL_KEY)
        if theirs and theirs != me[versions.OWNER_LABEL_KEY]:
            raise DockyardError(f"namespace {name!r} belongs to {theirs}, not to you "
                                f"({me[versions.OWNER_LABEL_KEY]})",
                                "pass another `namespace` parameter, or another name_prefix")
        state = "is still terminating" if old.status.phase == "Terminating" else "exists"
        print(f"⚠ namespace {name} {state}: left by an earlier or interrupted run "
              f"(created {old.metadata.creation_timestamp:%H:%M:%S}). Deleting it and starting fresh…")
        start = time.monotonic()
        delete_namespace(core, name, timeout=timeout, quiet=True)
        if not _wait_namespace_gone(core, name, 1):
            raise WaitTimedOut(f"namespace {name} is still terminating after {timeout:.0f}s",
                               f"look at `kubectl get all -n {name}`, or pass another `namespace` parameter")
        print(f"  old namespace gone ({time.monotonic() - start:.1f}s)")
    body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={versions.LABEL_KEY: workshop, **me}))
    made = core.create_namespace(body, _request_timeout=10)
    wait_for_default_service_account(core, name, timeout)
    return made


def delete_pods(core, namespace: str, names: list[str], timeout: float = 60) -> list[str]:
    """Delete these pods if they exist and wait until they are gone; the names that were there."""
    from kubernetes import client
    found = []
    for name in names:
        try:
            core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
            found.append(name)
        except client.ApiException as err:
            if err.status != 404:
                raise
    if found:
        watch_until(core.list_namespaced_pod, lambda pods: not set(found) & set(pods), namespace,
                    timeout=timeout, what=f"pods {', '.join(found)} to go")
    return found


def wait_for_default_service_account(core, namespace: str, timeout: float = 90):
    """A new namespace takes pods once the controller manager gave it its `default` ServiceAccount;
    until then the API server refuses a pod (403, "error looking up service account"). On a busy
    cluster that takes seconds."""
    watch_until(core.list_namespaced_service_account, lambda accounts: "default" in accounts, namespace,
                timeout=timeout, what=f"the default ServiceAccount of namespace {namespace}")


def empty_given_namespace(api, namespace: str, selector: str, log=print) -> list[tuple[str, str, str]]:
    """In a classroom the namespace is the hub's, and the learner's server runs in it: remove what
    the notebooks and labs made there (`selector`), never the namespace. Returns (kind, name, uid)."""
    from kubernetes import client as k8s
    core, apps = k8s.CoreV1Api(api), k8s.AppsV1Api(api)
    removed = []
    for kind, lister, deleter in [
            ("deployment", apps.list_namespaced_deployment, apps.delete_namespaced_deployment),
            ("service", core.list_namespaced_service, core.delete_namespaced_service),
            ("pod", core.list_namespaced_pod, core.delete_namespaced_pod),
            ("configmap", core.list_namespaced_config_map, core.delete_namespaced_config_map)]:
        for obj in lister(namespace, label_selector=f"{selector},!{versions.ROOM_LABEL_KEY}").items:   # not the server
            deleter(obj.metadata.name, namespace, grace_period_seconds=0 if kind == "pod" else None)
            removed.append((kind, obj.metadata.name, obj.metadata.uid))
            log(f"removed {kind} {obj.metadata.name} in {namespace}")
    return removed


def delete_namespace(core, name: str, timeout: float = 60, quiet: bool = False) -> bool:
    """Delete the namespace (its pods without grace, so it goes fast); True once it is gone.

    When it takes longer than `timeout`, it is left Terminating (Kubernetes finishes on its
    own) and we say so.
    """
    from kubernetes import client
    if name == given_namespace():   # a classroom's: the learner's server runs in it, and the hub owns it
        empty_given_namespace(core.api_client, name, versions.LABEL_KEY, log=lambda line: None)
        if not quiet:
            print(f"namespace {name} is the classroom's: what the notebooks made in it was deleted")
        return True
    try:
        core.delete_collection_namespaced_pod(name, grace_period_seconds=0, _request_timeout=10)
        core.delete_namespace(name, _request_timeout=10)
    except client.ApiException as err:
        if err.status != 404:
            raise
    gone = _wait_namespace_gone(core, name, timeout)
    if not quiet:
        print(f"namespace {name} " + ("deleted" if gone else
              f"still Terminating after {timeout:.0f}s; Kubernetes finishes deleting it by itself"))
    return gone
