"""`dockyard classroom status`: the hub, each learner's server, and what each uses (the kubelets'
own figures: the cluster needs no metrics add-on)."""
from __future__ import annotations

from dockyard import kube
from dockyard.classroom import room
from dockyard.classroom.lifecycle import ROOM


def pod_memory(core, pods) -> dict[tuple[str, str], int]:
    """(namespace, pod) -> working-set bytes of all its containers, from each node's summary."""
    import json
    out = {}
    for node in sorted({p.spec.node_name for p in pods if p.spec.node_name}):
        raw = core.connect_get_node_proxy_with_path(node, "stats/summary", _preload_content=False)
        for entry in json.loads(raw.data).get("pods", []):
            ref = entry["podRef"]
            out[(ref["namespace"], ref["name"])] = sum(
                (c.get("memory") or {}).get("workingSetBytes", 0) for c in entry.get("containers", []))
    return out


def why_not_ready(core, pod) -> str | None:
    """One line for a pod that is not ready: what its containers say, else its last warning event."""
    trouble = kube.pod_trouble(pod)
    if trouble:
        return trouble[0]
    warnings = [e for e in kube.pod_events(core, pod.metadata.namespace, pod.metadata.name) if e.startswith("Warning")]
    return warnings[-1] if warnings else None


def rows(api) -> list[dict]:
    from kubernetes import client
    core = client.CoreV1Api(api)
    selector = f"{room.ROOM_LABEL}={ROOM}"
    pods = core.list_pod_for_all_namespaces(label_selector=selector).items
    memory = pod_memory(core, pods)
    out = []
    for pod in sorted(pods, key=lambda p: (p.metadata.namespace != ROOM, p.metadata.namespace)):
        labels = pod.metadata.labels or {}
        who = "hub" if pod.metadata.namespace == ROOM else \
            (pod.metadata.annotations or {}).get("hub.jupyter.org/username", pod.metadata.name)
        used = memory.get((pod.metadata.namespace, pod.metadata.name))
        trouble = None if kube.pod_ready(pod) else why_not_ready(core, pod)
        out.append({"who": who, "namespace": pod.metadata.namespace, "pod": pod.metadata.name,
                    "status": kube.pod_status(pod), "node": pod.spec.node_name or "-",
                    "memory_mb": round(used / 2 ** 20) if used else None,
                    "server": labels.get("component") == "singleuser-server", "trouble": trouble})
    return out


def show(api) -> int:
    table = rows(api)
    if not table:
        print(f"no classroom on this cluster (namespace {ROOM}) — start one with `dockyard classroom up`")
        return 1
    print(f"{'who':<14} {'status':<18} {'node':<22} {'memory':>8}  namespace")
    for r in table:
        mem = f"{r['memory_mb']} MiB" if r["memory_mb"] is not None else "-"
        print(f"{r['who']:<14} {r['status']:<18} {r['node']:<22} {mem:>8}  {r['namespace']}")
        if r["trouble"]:
            print(f"  ✗ {r['trouble']}")
    servers = sum(r["server"] for r in table)
    total = sum(r["memory_mb"] or 0 for r in table)
    print(f"{servers} learners' servers; {total} MiB in all")
    return 0
