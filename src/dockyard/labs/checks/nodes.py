"""Nodes: choose one, cordon, drain, uncordon (lab 8)."""
from __future__ import annotations

from dockyard.errors import DockyardError
from dockyard.labs.checks.pods import _labels_text, _read, _wait_pod, container_trouble, deployment_ready, pod_running, running_and_ready
from dockyard.labs.checks.words import _clip, plural
from dockyard.labs.lab import Verdict, missing, passed
from dockyard.waits import wait_until


def _creator_set_node_name(pod) -> bool:
    """Did whoever created the pod set spec.nodeName? The scheduler fills in the same field when it
    binds a pod, but a binding leaves no managed-fields entry of its own; a creator's entry lists it."""
    for entry in pod.metadata.managed_fields or []:
        if entry.subresource:          # status, binding…: not the pod as it was written
            continue
        if "f:nodeName" in ((entry.fields_v1 or {}).get("f:spec") or {}):
            return True
    return False


def node_request(pod) -> str | None:
    """How the pod's own spec asks for a node, in words; None when it leaves the choice to the scheduler."""
    spec = pod.spec
    if spec.node_name and _creator_set_node_name(pod):
        return f"nodeName {spec.node_name}"
    if spec.node_selector:
        return f"nodeSelector {_labels_text(spec.node_selector)}"
    affinity = spec.affinity.node_affinity if spec.affinity else None
    if affinity is not None and affinity.required_during_scheduling_ignored_during_execution:
        return "a required node affinity"
    return None


def scheduling_problem(pod) -> str | None:
    """The scheduler's reason when it found no node for the pod (PodScheduled=False), else None."""
    for cond in (pod.status.conditions if pod.status else None) or []:
        if cond.type == "PodScheduled" and cond.status == "False" and cond.reason == "Unschedulable":
            return cond.message or "no node fits it"
    return None


def _node_labels(node) -> dict:
    return node.metadata.labels or {}


def _matches(labels: dict, selector: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def selector_words(selector: dict, nodes, label: tuple[str, str] | None = None) -> str:
    """Why a nodeSelector places a pod nowhere: no node has those labels, or those that have them
    are cordoned. `label` is the one the lab asked for, named when the selector misses it."""
    matching = [n for n in nodes if _matches(_node_labels(n), selector)]
    text = _labels_text(selector)
    if not matching:
        near = ""
        if label is not None:
            key, value = label
            holders = sorted(n.metadata.name for n in nodes if _node_labels(n).get(key) == value)
            if holders and selector != {key: value}:
                near = f" ({', '.join(holders)} carries {key}={value}: compare the two, key and value)"
        return f"no node carries {text}, which its nodeSelector asks for{near}"
    cordoned = sorted(n.metadata.name for n in matching if n.spec.unschedulable)
    if len(cordoned) == len(matching):
        return f"its nodeSelector {text} allows only {', '.join(cordoned)}, which is cordoned (SchedulingDisabled)"
    return ""


def node_carries_label(core, node: str, key: str, value: str) -> Verdict:
    """The node's labels, as the API server has them, include key=value."""
    found = _read(core.read_node, node)
    if found is None:
        return missing(f"there is no node {node} in the cluster")
    have = _node_labels(found).get(key)
    if have == value:
        return passed()
    elsewhere = sorted(n.metadata.name for n in core.list_node().items
                       if n.metadata.name != node and _node_labels(n).get(key) == value)
    if elsewhere:
        return missing(f"node {node} does not carry {key}={value}, but {', '.join(elsewhere)} does: the label is "
                       f"on the wrong node (patch {node})")
    if have is not None:
        return missing(f"node {node} carries {key}={have}, not {key}={value}")
    return missing(f"node {node} does not carry the label {key}={value} yet")


def _placement_decided(pod) -> bool:
    return running_and_ready(pod) or container_trouble(pod) is not None or \
        scheduling_problem(pod) is not None or pod.status.phase in ("Succeeded", "Failed")


def pod_placed_on(core, namespace: str, name: str, node: str, label: tuple[str, str] | None = None,
                  wait: float = 30, absent: str = "") -> Verdict:
    """Pod `name` runs on `node` because its spec asks for it (nodeSelector, nodeName or a required
    node affinity), not by the scheduler's chance. `label` is the node label the lab asked for;
    `absent` is said when there is no such pod."""
    pod = _read(core.read_namespaced_pod, name, namespace)
    if pod is None:
        return missing(absent or f"no pod named `{name}` in namespace {namespace} yet")
    if node_request(pod) is None:
        where = f"it landed on {pod.spec.node_name}" if pod.spec.node_name else "it waits for a node"
        want = f"node_selector={{{label[0]!r}: {label[1]!r}}}" if label else "a nodeSelector"
        return missing(f"nothing in pod `{name}`'s spec asks for a node (no nodeSelector, no nodeName), so the "
                       f"scheduler picks any node that fits ({where}): create it again with {want}")
    pod = _wait_pod(core, namespace, name, _placement_decided, wait)
    if pod is None:
        return missing(f"pod `{name}` was deleted while the check waited for it")
    problem = scheduling_problem(pod)
    if problem:
        nodes = core.list_node().items
        why = selector_words(pod.spec.node_selector, nodes, label) if pod.spec.node_selector else ""
        return missing(f"pod `{name}` is Pending: {why or 'the scheduler says ' + repr(_clip(problem, 200))}")
    running = pod_running(core, namespace, name, wait=0)
    if not running:
        return running
    if pod.spec.node_name != node:
        return missing(f"pod `{name}` runs on {pod.spec.node_name}, not on {node} (it asks for {node_request(pod)})")
    return passed()


def pod_avoids_node(core, namespace: str, name: str, node: str, wait: float = 30) -> Verdict:
    """`node` is cordoned, and pod `name`, made after the cordon, runs on another node."""
    found = _read(core.read_node, node)
    if found is None:
        return missing(f"there is no node {node} in the cluster")
    if not found.spec.unschedulable:
        return missing(f"node {node} is not cordoned: its spec.unschedulable is not true (a cordon is a patch "
                       "of the node's spec: {\"spec\": {\"unschedulable\": True}})")
    pod = _read(core.read_namespaced_pod, name, namespace)
    if pod is None:
        return missing(f"no pod named `{name}` in namespace {namespace} yet")
    if pod.spec.node_name == node and _creator_set_node_name(pod):
        return missing(f"pod `{name}` runs on the cordoned node {node}: its spec names that node (nodeName), which "
                       "skips the scheduler, and a cordon is a rule of the scheduler: leave nodeName out")
    pod = _wait_pod(core, namespace, name, _placement_decided, wait)
    if pod is None:
        return missing(f"pod `{name}` was deleted while the check waited for it")
    problem = scheduling_problem(pod)
    if problem:
        selector = pod.spec.node_selector
        if selector and selector_words(selector, core.list_node().items).startswith("its nodeSelector"):
            return missing(f"pod `{name}` waits, Pending: its nodeSelector {_labels_text(selector)} allows only the "
                           f"cordoned node {node}, so the cordon keeps it out; a new pod must be free to go "
                           "elsewhere (leave the nodeSelector out)")
        return missing(f"pod `{name}` is Pending: the scheduler says {_clip(problem, 200)!r}")
    running = pod_running(core, namespace, name, wait=0)
    if not running:
        return running
    if pod.spec.node_name == node:
        return missing(f"pod `{name}` runs on {node}: it was placed there before the cordon, and a cordon keeps "
                       "only later pods away: delete it and create it again")
    return passed()


def _live_pods(core, namespace: str, selector: str = "") -> list:
    return [p for p in core.list_namespaced_pod(namespace, label_selector=selector).items
            if p.metadata.deletion_timestamp is None]


def pods_on_node(core, namespace: str, node: str, wait: float = 30) -> list:
    """The namespace's pods on `node`, once those being deleted there are gone (or `wait` ran out)."""
    def settled():
        pods = core.list_namespaced_pod(namespace, field_selector=f"spec.nodeName={node}").items
        return None if any(p.metadata.deletion_timestamp for p in pods) else [pods]
    try:
        return wait_until(settled, timeout=wait, interval=0.5, what=f"pods leaving {node}")[0]
    except DockyardError:
        return [p for p in core.list_namespaced_pod(namespace, field_selector=f"spec.nodeName={node}").items
                if p.metadata.deletion_timestamp is None]


def node_drained(core, apps, namespace: str, node: str, deployment: str, replicas: int,
                 keep: list[str] = (), first: set[str] = frozenset(), others: dict[str, str] | None = None,
                 wait: float = 60) -> Verdict:
    """`node` stays cordoned and runs none of the namespace's pods; the Deployment has its replicas
    again, elsewhere; the pods in `keep` (on other nodes) are untouched; and the pods of other
    namespaces in `others` ({uid: "namespace/name"}, seen on the node before) are still there.
    `first` holds the uids of the Deployment's pods before the drain: a newer one on the node came back."""
    ready = deployment_ready(apps, namespace, deployment, replicas, wait=wait, core=core)
    left = pods_on_node(core, namespace, node)
    names = ", ".join(sorted(p.metadata.name for p in left))
    if not core.read_node(node).spec.unschedulable:
        back = sorted(p.metadata.name for p in left if p.metadata.owner_references and p.metadata.uid not in first)
        if back:
            return missing(f"node {node} is not cordoned any more, and {', '.join(back)} went right back onto it: "
                           "keep it cordoned while you drain it (a drain is a cordon, then evictions)")
        return missing(f"node {node} is not cordoned: a drain is a cordon first (nothing new lands there), then "
                       "the eviction of each pod on it")
    if left:
        return missing(f"{plural(len(left), 'pod')} of this lab still run on {node} ({names}): a cordon keeps new "
                       "pods away, but the pods already there stay until you evict them")
    gone = [k for k in keep if _read(core.read_namespaced_pod, k, namespace) is None]
    if gone:
        return missing(f"pod `{gone[0]}` is gone too, though it ran on another node: a drain evicts only the pods "
                       "of the drained node")
    if not ready:
        return ready
    if others:
        still = {p.metadata.uid for p in core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items}
        evicted = sorted(name for uid, name in others.items() if uid not in still)
        if evicted:
            return missing(f"pods of other namespaces left {node} too ({', '.join(evicted[:3])}): other people's "
                           f"pods share this cluster; evict only the pods of {namespace}")
    return passed()


def node_uncordoned(core, node: str, namespace: str = "", waiting: str = "") -> Verdict:
    """The node takes new pods again (spec.unschedulable is not true)."""
    found = _read(core.read_node, node)
    if found is None:
        return missing(f"there is no node {node} in the cluster")
    if found.spec.unschedulable:
        pod = _read(core.read_namespaced_pod, waiting, namespace) if waiting else None
        also = f", and pod `{waiting}` waits for it, Pending" if pod is not None and not pod.spec.node_name else ""
        return missing(f"node {node} is still cordoned (spec.unschedulable is true): the scheduler sends it no new "
                       f"pod{also}. Uncordon it: {{\"spec\": {{\"unschedulable\": False}}}}")
    return passed()
