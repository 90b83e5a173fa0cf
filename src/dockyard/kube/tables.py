"""Rows for tables instead of dict dumps: pods, nodes, ages, quantities."""
from __future__ import annotations

from dockyard import versions
from dockyard.kube.pods import pod_status, restarts


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
