"""kubernetes-client plumbing for the notebooks: context, namespace, manifests, waits, exec, tables.

The teaching calls (`core.create_namespaced_pod`, `watch.Watch().stream(...)`, `stream(...)`)
stay in the notebooks. What lives here is the part nobody comes to learn: picking the
context with a clear error, a per-run namespace that survives a crashed run, bounded waits
whose timeout says why, and rows for tables instead of dict dumps.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from . import versions
from .errors import DockyardError
from .paths import REPO

MANIFESTS = REPO / "k8s-manifests"
# Nodes a notebook changes (cordon, labels) carry this annotation so a crashed run can be undone.
TOUCHED_ANNOTATION = f"{versions.LABEL_KEY}/touched-by"


# -- context and client ------------------------------------------------------------------

def kube_context() -> str:
    """DOCKYARD_KUBE_CONTEXT points the kit at another cluster; otherwise our kind cluster."""
    return os.environ.get(versions.KUBE_CONTEXT_ENV) or versions.KUBE_CONTEXT


def is_kind_context(context: str | None = None) -> bool:
    return (context or kube_context()) == versions.KUBE_CONTEXT


def require_context(context: str) -> None:
    """A DockyardError naming the contexts there are, unless the kubeconfig has `context`."""
    from kubernetes import config
    contexts, why = [], ""
    try:
        contexts, _ = config.list_kube_config_contexts()
    except config.ConfigException as err:   # no kubeconfig at all, or one without contexts: say which
        why = f" ({err})"
    except Exception:
        pass
    names = [c["name"] for c in contexts or []]
    if context in names:
        return
    fix = ("create the cluster with `dockyard cluster up` (or `make cluster`)" if is_kind_context(context)
           else f"pick one of: {', '.join(names) or 'none in ~/.kube/config'} (set {versions.KUBE_CONTEXT_ENV}), "
                f"or unset {versions.KUBE_CONTEXT_ENV} to use the kit's kind cluster")
    raise DockyardError(f"no kubeconfig context named {context!r}{why}", fix)


def api_client(context: str | None = None, probe: bool = False):
    """An ApiClient for `context`; with probe=True also check that the API server answers."""
    from kubernetes import config
    context = context or kube_context()
    require_context(context)
    try:
        api = config.new_client_from_config(context=context)
    except config.ConfigException as err:   # the context names a user or cluster that is missing or broken
        fix = ("write it again with `dockyard cluster up`" if is_kind_context(context)
               else f"look at it with `kubectl config view --minify --context {context}`")
        raise DockyardError(f"the kubeconfig entry of context {context!r} is unusable ({err})", fix) from None
    if probe:
        from kubernetes import client
        try:
            client.VersionApi(api).get_code(_request_timeout=5)
        except Exception as err:
            host = api.configuration.host
            fix = ("start it with `dockyard cluster up`" if is_kind_context(context)
                   else "check that cluster, or point " + versions.KUBE_CONTEXT_ENV + " at another context")
            raise DockyardError(f"the API server of context {context!r} ({host}) does not answer "
                                f"({type(err).__name__})", fix) from None
    return api


def api_client_or_none(context: str | None = None):
    try:
        return api_client(context, probe=True)
    except Exception:
        return None


def kubectl(args: str, context: str | None = None) -> None:
    """Print the kubectl command a cell's client call corresponds to."""
    ctx = context or kube_context()
    extra = "" if ctx == versions.KUBE_CONTEXT else f" --context {ctx}"
    print(f"$ kubectl {args}{extra}")


# -- names -------------------------------------------------------------------------------

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
        from .identity import owner
        default = f"{owner(kube_context())}-{default}"
    name = (namespace or default).lower()
    if len(name) > 63 or not _DNS_LABEL.match(name):
        raise DockyardError(f"{name!r} is not a valid namespace name",
                            "use lower-case letters, digits and '-', at most 63 characters")
    return name


# -- namespaces --------------------------------------------------------------------------

def _wait_namespace_gone(core, name: str, timeout: float) -> bool:
    from kubernetes import client
    def gone(objs):
        return name not in objs
    try:
        watch_until(core.list_namespace, gone, timeout=timeout, what=f"namespace {name} to go",
                    field_selector=f"metadata.name={name}")
        return True
    except DockyardError:
        return False
    except client.ApiException:
        return False


def owner_labels() -> dict:
    """{dockyard.owner: who}: set on every namespace we make, and in every selector that removes."""
    from .identity import owner
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
            raise DockyardError(f"namespace {name} is still terminating after {timeout:.0f}s",
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


def delete_namespace(core, name: str, timeout: float = 60, quiet: bool = False) -> bool:
    """Delete the namespace (its pods without grace, so it goes fast); True once it is gone.

    When it takes longer than `timeout`, it is left Terminating (Kubernetes finishes on its
    own) and we say so.
    """
    from kubernetes import client
    if name == given_namespace():   # a classroom's: the learner's server runs in it, and the hub owns it
        from .cleanup import clean_given_namespace
        clean_given_namespace(core.api_client, name, versions.LABEL_KEY, log=lambda line: None)
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


# -- manifests ---------------------------------------------------------------------------

def manifest_values() -> dict[str, str]:
    """@IMAGE_<KEY>@ placeholders in our YAML take the catalog's refs: a tag is spelled once."""
    from .images.catalog import CATALOG
    return {f"IMAGE_{key.upper().replace('-', '_')}": entry.ref for key, entry in CATALOG.items()}


def render_manifest(source: str | Path, values: dict[str, str] | None = None) -> str:
    """The YAML text of `source` (a path under k8s-manifests/ or the text itself), filled in."""
    path = Path(source) if not str(source).lstrip().startswith(("apiVersion", "---", "kind")) else None
    if path is not None and not path.is_absolute() and not path.exists():
        path = MANIFESTS / path
    text = path.read_text() if path is not None else str(source)
    for key, value in {**manifest_values(), **(values or {})}.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise DockyardError(f"placeholder {left[0]} in the manifest has no value",
                            f"pass it: values={{'{left[0].strip('@')}': ...}}")
    return text


def save_manifest(api, obj, namespace: str) -> Path:
    """Write a client object (V1Pod, V1Deployment…) as the YAML `kubectl apply -f` takes, to
    build/manifests/<namespace>-<kind>-<name>.yaml, so the kubectl line a cell prints works when typed.
    The object must name its apiVersion and kind (the client does not need them; kubectl does)."""
    import yaml
    from .paths import BUILD
    doc = api.sanitize_for_serialization(obj)
    if not doc.get("apiVersion") or not doc.get("kind"):
        raise DockyardError(f"{type(obj).__name__} {doc.get('metadata', {}).get('name')} has no apiVersion or kind",
                            "set api_version= and kind= on the object")
    doc["metadata"] = {"name": doc["metadata"]["name"], "namespace": namespace,
                       **{k: v for k, v in doc["metadata"].items() if k not in ("name", "namespace")}}

    class Dumper(yaml.SafeDumper):   # multi-line strings (a script) as | blocks, as one writes them
        pass
    Dumper.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s,
                                                                style="|" if "\n" in s else None))
    # the kind is in the name: a Deployment and its Service (or a Role and its RoleBinding) share a name
    path = BUILD / "manifests" / f"{namespace}-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(doc, Dumper=Dumper, sort_keys=False))
    return path


# kind -> (API path prefix, plural). Anything else is found through discovery.
_RESOURCES = {
    ("v1", "Pod"): ("/api/v1", "pods"), ("v1", "Service"): ("/api/v1", "services"),
    ("v1", "ConfigMap"): ("/api/v1", "configmaps"), ("v1", "Secret"): ("/api/v1", "secrets"),
    ("v1", "ServiceAccount"): ("/api/v1", "serviceaccounts"),
    ("apps/v1", "Deployment"): ("/apis/apps/v1", "deployments"),
    ("apps/v1", "ReplicaSet"): ("/apis/apps/v1", "replicasets"),
    ("apps/v1", "DaemonSet"): ("/apis/apps/v1", "daemonsets"),
    ("apps/v1", "StatefulSet"): ("/apis/apps/v1", "statefulsets"),
    ("batch/v1", "Job"): ("/apis/batch/v1", "jobs"),
}


def resource_path(api_version: str, kind: str, namespace: str, name: str) -> str:
    """The REST path of a namespaced object (the URL `kubectl get --raw` would use)."""
    try:
        prefix, plural = _RESOURCES[(api_version, kind)]
    except KeyError:
        raise DockyardError(f"dockyard does not know the REST path of {api_version} {kind}",
                            "apply it with kubectl, or add it to dockyard.kube._RESOURCES") from None
    return f"{prefix}/namespaces/{namespace}/{plural}/{name}"


# -- watching ----------------------------------------------------------------------------

def watch_until(list_call, predicate, *args, timeout: float = 60, what: str = "the change",
                on_event=None, **kwargs):
    """List, then watch, until `predicate({name: object})` is truthy; return that value.

    Bounded by `timeout` (DockyardError after it). `on_event(type, obj)` sees each change, for
    progress lines. No polling: each change arrives from the API server's watch.
    """
    import urllib3
    from kubernetes import client, watch
    deadline = time.monotonic() + timeout
    while True:
        listing = list_call(*args, _request_timeout=10, **kwargs)
        objects = {o.metadata.name: o for o in listing.items}
        result = predicate(objects)
        if result:
            return result
        rv = listing.metadata.resource_version
        w = watch.Watch()
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DockyardError(f"waited {timeout:.0f}s for {what}")
                for event in w.stream(list_call, *args, resource_version=rv,
                                      timeout_seconds=max(1, int(left + 0.999)),
                                      _request_timeout=left + 10, **kwargs):
                    obj, kind = event["object"], event["type"]
                    if kind == "BOOKMARK":
                        continue
                    rv = obj.metadata.resource_version
                    if kind == "DELETED":
                        objects.pop(obj.metadata.name, None)
                    else:
                        objects[obj.metadata.name] = obj
                    if on_event is not None:
                        on_event(kind, obj)
                    result = predicate(objects)
                    if result:
                        w.stop()
                        return result
                    if time.monotonic() >= deadline:
                        break
        except client.ApiException as err:
            if err.status != 410:   # our resourceVersion is too old: list again
                raise
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError):
            # the API server cut the watch short (busy, or restarting it): list again
            if time.monotonic() >= deadline:
                raise DockyardError(f"waited {timeout:.0f}s for {what}") from None
        finally:
            w.stop()


def pod_status(pod) -> str:
    """One word for a pod, the way `kubectl get pods` shows it (CrashLoopBackOff, Terminating…)."""
    if pod.metadata.deletion_timestamp is not None:
        return "Terminating"
    status = pod.status
    if status is None:
        return "Pending"
    reason = status.reason or status.phase or "Pending"
    for cs in (status.init_container_statuses or []):
        state = cs.state
        if state and state.terminated and state.terminated.exit_code == 0:
            continue
        if state and state.waiting and state.waiting.reason and state.waiting.reason != "PodInitializing":
            return f"Init:{state.waiting.reason}"
        return "Init"
    running = False
    # kubectl walks the containers from the last one, so the first container's word wins.
    for cs in reversed(status.container_statuses or []):
        state = cs.state
        if state is None:
            continue
        if state.waiting and state.waiting.reason:
            reason = state.waiting.reason
        elif state.terminated and state.terminated.reason:
            reason = state.terminated.reason
        elif state.terminated:
            reason = f"ExitCode:{state.terminated.exit_code}"
        elif state.running and cs.ready:
            running = True
    if reason == "Completed" and running:
        reason = "Running"
    return reason


def pod_ready(pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or [])) \
        if pod.status else False


def restarts(pod) -> int:
    return sum(cs.restart_count for cs in (pod.status.container_statuses or [])) if pod.status else 0


def pod_events(core, namespace: str, name: str, limit: int = 8) -> list[str]:
    """The pod's most recent events, as `kubectl describe pod` lists them."""
    items = core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}",
                                       _request_timeout=10).items
    def when(e):
        return e.last_timestamp or e.event_time or e.metadata.creation_timestamp
    items = sorted(items, key=lambda e: str(when(e)))
    return [f"{e.type} {e.reason}: {e.message}" for e in items][-limit:]


# A container waiting for one of these reasons does not get to run by itself.
_STUCK_REASONS = {"CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
                  "CreateContainerError", "CreateContainerConfigError", "RunContainerError", "StartError"}


def containers_running(pod) -> bool:
    """Phase Running, not being deleted, and every container in state running (none waiting or ended)."""
    status = pod.status
    statuses = (status.container_statuses if status else None) or []
    return (pod.metadata.deletion_timestamp is None and status is not None and status.phase == "Running"
            and bool(statuses) and all(cs.state and cs.state.running for cs in statuses))


def pod_trouble(pod) -> tuple[str, str | None] | None:
    """Why a pod will not get to run steadily by itself, and the container whose log says more;
    None while nothing says so.

    The pod ended (phase Failed or Succeeded); a container waits in CrashLoopBackOff, or cannot get
    its image or start; a container ended and the restart policy starts it again (or did already).
    """
    status = pod.status
    if status is None:
        return None
    policy = pod.spec.restart_policy if pod.spec else None
    for cs in status.container_statuses or []:
        state, count = cs.state, cs.restart_count or 0
        restarted = f", restarted {count} time{'s' if count != 1 else ''}" if count else ""
        waiting = state.waiting if state else None
        ended = state.terminated if state else None
        last = cs.last_state.terminated if cs.last_state else None
        if waiting and waiting.reason in _STUCK_REASONS:
            why = f" (last exit code {last.exit_code})" if last is not None else \
                (f": {waiting.message}" if waiting.message else "")
            return f"container {cs.name} is {waiting.reason}{why}{restarted}", cs.name
        if ended is not None and (count or policy != "Never" or status.phase in ("Failed", "Succeeded")):
            return (f"container {cs.name} ended (exit code {ended.exit_code}"
                    f"{', ' + ended.reason if ended.reason else ''}){restarted}", cs.name)
    if status.phase in ("Failed", "Succeeded"):
        return f"the pod ended: phase {status.phase}" + (f" ({status.reason})" if status.reason else ""), None
    return None


def _ended_attempt(pod, container: str | None = None):
    """(container status, True when its log is that of an ended attempt: `kubectl logs --previous`)."""
    cs = next((c for c in (pod.status.container_statuses or []) if container in (None, c.name)), None)
    return cs, bool(cs and cs.restart_count and cs.state and cs.state.waiting)


def last_log_line(core, namespace: str, name: str, container: str | None = None) -> str:
    """The last line a pod's container printed: of the attempt that ended when it waits to restart."""
    cs, previous = _ended_attempt(core.read_namespaced_pod(name, namespace, _request_timeout=10), container)
    try:
        text = core.read_namespaced_pod_log(name, namespace, container=container or (cs.name if cs else None),
                                            previous=previous, tail_lines=20, _request_timeout=10)
    except Exception as err:   # no log yet (the image never started), or the node does not answer
        return f"(no log: {type(err).__name__})"
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "(the log is empty)"


def wait_for_pod(core, namespace: str, name: str, until="Running", timeout: float = 60,
                 quiet: bool = False, settle: float = 3):
    """Watch one pod until `until` holds; print each status change with its time; return the pod.

    `until` is a status word ("Running", "Succeeded", "CrashLoopBackOff"…), a set of them,
    "Ready", or a function of the pod. At the timeout, a DockyardError lists the pod's events.

    "Running" means every container runs and keeps running: each must have run `settle` seconds
    without a restart. A pod that will not get there by itself (a container in CrashLoopBackOff,
    one that ended and is restarted, the pod ended) is a DockyardError at once, naming the reason
    and the container's last log line.
    """
    steady = not callable(until) and "Running" in ({until} if isinstance(until, str) else set(until))
    if callable(until):
        test, wanted = until, "the condition"
    else:
        words = {until} if isinstance(until, str) else set(until)
        wanted = " or ".join(sorted(words))
        def test(pod):
            if "Ready" in words and pod_ready(pod):
                return True
            if steady and containers_running(pod):
                return True
            return (pod_status(pod) in words - {"Running"}
                    or bool(pod.status and pod.status.phase in words - {"Running"}))
    start = time.monotonic()
    deadline = start + timeout
    last = [None]
    trouble: list = []

    def show(pod):
        word = pod_status(pod) + (" (ready)" if pod_ready(pod) else "")
        if word != last[0] and not quiet:
            print(f"  {time.monotonic() - start:5.1f}s  {name}: {word}")
        last[0] = word

    def predicate(objects):
        pod = objects.get(name)
        if pod is None:
            return None
        show(pod)
        if test(pod):
            return pod
        if steady and pod_trouble(pod) is not None:
            trouble.append(pod_trouble(pod))
            return pod
        return None

    def stuck(found):
        why, container = found
        line = last_log_line(core, namespace, name, container) if container else "(no container ran)"
        previous = container is not None and _ended_attempt(
            core.read_namespaced_pod(name, namespace, _request_timeout=10), container)[1]
        logs = f"`kubectl logs {name} -n {namespace} -c {container}{' --previous' if previous else ''}`, " \
            if container else ""
        return DockyardError(f"pod {name} will not be {wanted}: {why}; its last log line: {line}",
                             f"{logs}`kubectl describe pod {name} -n {namespace}`")

    while True:
        try:
            pod = watch_until(core.list_namespaced_pod, predicate, namespace,
                              timeout=max(1.0, deadline - time.monotonic()),
                              what=f"pod {name} to be {wanted}", field_selector=f"metadata.name={name}")
        except DockyardError:
            events = pod_events(core, namespace, name)
            shown = "; ".join(events) if events else "no events (was the pod created?)"
            raise DockyardError(f"pod {name} was not {wanted} after {timeout:.0f}s (last: {last[0] or 'absent'}); "
                                f"its events: {shown}",
                                f"`kubectl describe pod {name} -n {namespace}`") from None
        if trouble:
            raise stuck(trouble[-1])
        if not (steady and containers_running(pod)) or settle <= 0:
            return pod
        # Running: look again once every container has run `settle` seconds (a container that
        # ends at once looks Running for a moment), and accept it if none ended or restarted.
        counts = {cs.name: cs.restart_count for cs in pod.status.container_statuses}
        started = [cs.state.running.started_at for cs in pod.status.container_statuses
                   if cs.state.running.started_at is not None]
        ran = min((time.time() - s.timestamp() for s in started), default=0.0)
        time.sleep(max(0.0, min(settle - ran, deadline - time.monotonic())))
        again = core.read_namespaced_pod(name, namespace, _request_timeout=10)
        show(again)
        if containers_running(again) and {cs.name: cs.restart_count
                                          for cs in again.status.container_statuses} == counts:
            return again
        found = pod_trouble(again)
        if found is not None:
            raise stuck(found)
        if time.monotonic() >= deadline:
            raise DockyardError(f"pod {name} was not {wanted} after {timeout:.0f}s: its containers did not keep "
                                f"running for {settle:.0f}s (last: {last[0]})",
                                f"`kubectl describe pod {name} -n {namespace}`")


def wait_for_pods(core, namespace: str, label_selector: str, count: int, until="Ready",
                  timeout: float = 90, quiet: bool = False) -> list:
    """Watch the pods matching `label_selector` until exactly `count` of them are `until`
    (and none other is left); return them sorted by name."""
    start = time.monotonic()
    seen: dict[str, str] = {}

    def good(pod):
        if pod.metadata.deletion_timestamp is not None:
            return False
        return pod_ready(pod) if until == "Ready" else pod_status(pod) == until

    def predicate(objects):
        for name, pod in objects.items():
            word = pod_status(pod) + (" (ready)" if pod_ready(pod) else "")
            if seen.get(name) != word and not quiet:
                print(f"  {time.monotonic() - start:5.1f}s  {name}: {word}")
            seen[name] = word
        for name in [n for n in seen if n not in objects]:
            if not quiet:
                print(f"  {time.monotonic() - start:5.1f}s  {name}: gone")
            seen.pop(name)
        pods = [p for p in objects.values() if good(p)]
        if len(pods) == count and len(objects) == count:
            return sorted(pods, key=lambda p: p.metadata.name)
        return None

    try:
        return watch_until(core.list_namespaced_pod, predicate, namespace, timeout=timeout,
                           what=f"{count} pods {label_selector} {until}", label_selector=label_selector)
    except DockyardError:
        listing = core.list_namespaced_pod(namespace, label_selector=label_selector, _request_timeout=10).items
        stuck = [p for p in listing if not good(p)]
        events = pod_events(core, namespace, stuck[0].metadata.name) if stuck else []
        now = ", ".join(f"{p.metadata.name}={pod_status(p)}" for p in listing) or "none"
        raise DockyardError(f"{label_selector}: wanted {count} pods {until} within {timeout:.0f}s; now: {now}"
                            + (f"; events of {stuck[0].metadata.name}: {'; '.join(events)}" if events else ""),
                            f"`kubectl get pods -n {namespace} -l {label_selector}` and `kubectl describe`") from None


def wait_for_rollout(apps, namespace: str, name: str, timeout: float = 120, quiet: bool = False):
    """Watch a Deployment until every replica is updated and available (`kubectl rollout status`)."""
    start = time.monotonic()
    last = [""]

    def predicate(objects):
        d = objects.get(name)
        if d is None:
            return None
        s = d.status
        want = d.spec.replicas or 0
        updated, avail, total = s.updated_replicas or 0, s.available_replicas or 0, s.replicas or 0
        line = f"{updated}/{want} updated, {avail} available, {total} total"
        if line != last[0] and not quiet:
            print(f"  {time.monotonic() - start:5.1f}s  deployment/{name}: {line}")
        last[0] = line
        done = ((s.observed_generation or 0) >= d.metadata.generation and updated == want
                and avail == want and total == want)
        return d if done else None

    return watch_until(apps.list_namespaced_deployment, predicate, namespace, timeout=timeout,
                       what=f"deployment {name} to roll out (last: {last[0]})",
                       field_selector=f"metadata.name={name}")


# -- images on nodes ---------------------------------------------------------------------

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
    except DockyardError:
        missing = nodes_missing_image(core.list_node(_request_timeout=10).items, image_ref)
        raise DockyardError(f"after {timeout:.0f}s, node status of {', '.join(missing) or 'no node'} "
                            f"still does not list {image_ref}",
                            f"`kubectl get node {missing[0] if missing else ''} -o jsonpath='{{.status.images[*].names}}'`;"
                            " a kubelet reports at most 50 images (the biggest first)") from None

# -- exec --------------------------------------------------------------------------------

@dataclass
class ExecResult:
    exit_code: int | None      # None: the command did not start (see message)
    stdout: str
    stderr: str
    message: str = ""


def parse_exec_status(text: str) -> tuple[int | None, str]:
    """The exit code from the exec's status channel (channel 3), and its message."""
    import yaml
    if not text:
        return None, "no status from the API server"
    status = yaml.safe_load(text) or {}
    if status.get("status") == "Success":
        return 0, ""
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause["message"]), status.get("message", "")
    return None, status.get("message", "")


def exec_in_pod(core, namespace: str, pod: str, command: list[str], container: str | None = None,
                timeout: float = 30) -> ExecResult:
    """`kubectl exec pod -- command` through the client's stream API, exit code included."""
    from kubernetes.stream import stream
    from kubernetes.stream.ws_client import ERROR_CHANNEL
    resp = stream(core.connect_get_namespaced_pod_exec, pod, namespace, command=command,
                  container=container, stdout=True, stderr=True, stdin=False, tty=False,
                  _preload_content=False)
    try:
        resp.run_forever(timeout=timeout)
        if resp.is_open():
            raise DockyardError(f"`{' '.join(command)}` in {pod} still ran after {timeout:.0f}s",
                                "give it a shorter task, or a longer timeout=")
        stdout, stderr = resp.read_stdout(timeout=0) or "", resp.read_stderr(timeout=0) or ""
        code, message = parse_exec_status(resp.read_channel(ERROR_CHANNEL, timeout=0))
    finally:
        resp.close()
    return ExecResult(code, stdout, stderr, message)


# -- tables ------------------------------------------------------------------------------

def age(ts) -> str:
    if ts is None:
        return ""
    import datetime
    seconds = (datetime.datetime.now(datetime.timezone.utc) - ts).total_seconds()
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.0f}h" if seconds < 172800 else f"{seconds / 86400:.0f}d"


def pod_rows(pods, labels: bool = False) -> list[dict]:
    """`kubectl get pods -o wide` as rows."""
    rows = []
    for p in sorted(pods, key=lambda p: (p.metadata.namespace or "", p.metadata.name)):
        cs = p.status.container_statuses or [] if p.status else []
        row = {"pod": p.metadata.name, "ready": f"{sum(1 for c in cs if c.ready)}/{len(p.spec.containers)}",
               "status": pod_status(p), "restarts": restarts(p), "age": age(p.metadata.creation_timestamp),
               "ip": (p.status.pod_ip if p.status else "") or "", "node": p.spec.node_name or ""}
        if labels:
            row["labels"] = ",".join(f"{k}={v}" for k, v in sorted((p.metadata.labels or {}).items())
                                     if k != versions.LABEL_KEY and k != "pod-template-hash")
        rows.append(row)
    return rows


def node_roles(node) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = [k[len(prefix):] for k in (node.metadata.labels or {}) if k.startswith(prefix)]
    return ",".join(sorted(roles)) or "<none>"


def node_rows(nodes) -> list[dict]:
    """`kubectl get nodes -o wide` as rows."""
    rows = []
    for n in sorted(nodes, key=lambda n: n.metadata.name):
        ready = next((c.status for c in n.status.conditions or [] if c.type == "Ready"), "Unknown")
        status = "Ready" if ready == "True" else "NotReady"
        if n.spec.unschedulable:
            status += ",SchedulingDisabled"
        addr = {a.type: a.address for a in n.status.addresses or []}
        info = n.status.node_info
        rows.append({"node": n.metadata.name, "status": status, "roles": node_roles(n),
                     "internal-ip": addr.get("InternalIP", ""), "hostname": addr.get("Hostname", ""),
                     "kubelet": info.kubelet_version, "runtime": info.container_runtime_version,
                     "os": info.os_image, "kernel": info.kernel_version})
    return rows


def quantity_bytes(text: str) -> float:
    from kubernetes.utils import parse_quantity
    return float(parse_quantity(text))


# -- nodes we touched --------------------------------------------------------------------

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


# -- services and selectors --------------------------------------------------------------

def free_node_port(core, first: int = versions.NODEPORT_FIRST, last: int = versions.NODEPORT_LAST) -> int:
    """The first NodePort of the kit's mapped range that no service in the cluster uses yet."""
    used = {p.node_port for s in core.list_service_for_all_namespaces(_request_timeout=10).items
            for p in (s.spec.ports or []) if p.node_port}
    for port in range(first, last + 1):
        if port not in used:
            return port
    raise DockyardError(f"every NodePort from {first} to {last} is taken by a service",
                        "delete old workshop namespaces with `dockyard clean`")


_SET_TERM = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def split_selector(selector: str) -> list[str]:
    """Terms of a label selector, splitting on commas outside parentheses."""
    terms, depth, current = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += ch
    return [t.strip() for t in terms + [current] if t.strip()]


def selector_matches(selector: str, labels: dict) -> bool:
    """Does a label selector (equality- and set-based terms, comma = AND) match these labels?

    The same rules the API server applies; notebooks use it to say what a query *should* return.
    """
    for term in split_selector(selector):
        m = _SET_TERM.match(term)
        if m:
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            ok = labels.get(key) in values if op == "in" else labels.get(key) not in values
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            ok = labels.get(key) != value
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            ok = labels.get(key) == value
        elif term.startswith("!"):
            ok = term[1:].strip() not in labels
        else:
            ok = term in labels
        if not ok:
            return False
    return True


def endpoint_rows(slices) -> list[dict]:
    """The endpoints of EndpointSlices as rows: pod, address, ready, node."""
    rows = []
    for s in slices:
        for e in s.endpoints or []:
            ref = e.target_ref.name if e.target_ref else ""
            cond = e.conditions
            rows.append({"pod": ref, "address": ",".join(e.addresses), "ready": bool(cond and cond.ready),
                         "serving": bool(cond and cond.serving), "terminating": bool(cond and cond.terminating),
                         "node": e.node_name or ""})
    return sorted(rows, key=lambda r: r["pod"])


def ready_endpoint_pods(slices) -> set[str]:
    """The pods (their address when an endpoint names no pod) a service's EndpointSlices list as
    ready; each once, also when two slices briefly list the same endpoint."""
    return {r["pod"] or r["address"] for r in endpoint_rows(slices) if r["ready"]}


def wait_ready_endpoints(discovery, namespace: str, service: str, count: int, timeout: float = 60,
                         pods=None, quiet: bool = False) -> list[dict]:
    """Watch the service's EndpointSlices until exactly `count` endpoints are ready (and, with
    `pods`, exactly those pods); return the endpoint rows.

    A pod turns Ready first; the EndpointSlice controller writes it into the service a moment
    later, and only then does the service send it traffic. `discovery` is a DiscoveryV1Api.
    """
    want = set(pods) if pods is not None else None
    if want is not None and len(want) != count:
        raise ValueError(f"count={count} but {len(want)} pods given")
    selector = f"kubernetes.io/service-name={service}"
    start = time.monotonic()
    last = [""]

    def predicate(slices):
        rows = endpoint_rows(slices.values())
        ready = ready_endpoint_pods(slices.values())
        line = f"{len(ready)} ready endpoints of {len(rows)} listed"
        if line != last[0] and not quiet:
            print(f"  {time.monotonic() - start:5.1f}s  service/{service}: {line}")
        last[0] = line
        done = len(ready) == count and (want is None or ready == want)
        return rows if done else None

    try:
        return watch_until(discovery.list_namespaced_endpoint_slice, predicate, namespace, timeout=timeout,
                           what=f"{count} ready endpoints in service {service}", label_selector=selector)
    except DockyardError:
        slices = discovery.list_namespaced_endpoint_slice(namespace, label_selector=selector,
                                                          _request_timeout=10).items
        now = ", ".join(sorted(ready_endpoint_pods(slices))) or "none"
        wanted = f"{count} ready endpoints" + (f" ({', '.join(sorted(want))})" if want else "")
        raise DockyardError(f"service {service}: wanted {wanted} within {timeout:.0f}s; ready now: {now}",
                            f"`kubectl get endpointslices -n {namespace} -l {selector}`, and are its pods Ready?"
                            ) from None

def parse_flags(command: list[str]) -> dict[str, str]:
    """`--name=value` / `--name value` arguments of a control-plane command, as a dict."""
    flags, args = {}, list(command or [])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            if "=" in arg:
                key, value = arg[2:].split("=", 1)
            elif i + 1 < len(args) and not args[i + 1].startswith("--"):
                key, value = arg[2:], args[i + 1]
                i += 1
            else:
                key, value = arg[2:], "true"
            flags[key] = value
        i += 1
    return flags


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
