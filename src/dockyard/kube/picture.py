"""The slide's picture of master, nodes and pods, drawn from the live cluster with matplotlib.

`cluster_model(core)` reads nodes and pods (two list calls); `draw(model)` draws one box per
node (control plane on top, workers beneath, each with its pods) and the API server's lines
to every kubelet. Graphviz is not needed (nor installed on every machine).
"""
from __future__ import annotations

from dataclasses import dataclass, field

CONTROL_PLANE_ROLES = ("control-plane", "master")
COMPONENT_LABEL = "component"


@dataclass
class NodeBox:
    name: str
    roles: str
    kubelet: str
    runtime: str
    pods: list = field(default_factory=list)       # (namespace, name, component or "")

    @property
    def is_control_plane(self) -> bool:
        return any(r in self.roles.split(",") for r in CONTROL_PLANE_ROLES)


def cluster_model(core) -> list[NodeBox]:
    from dockyard.kube import node_roles
    boxes = {}
    for n in core.list_node(_request_timeout=10).items:
        info = n.status.node_info
        boxes[n.metadata.name] = NodeBox(n.metadata.name, node_roles(n), info.kubelet_version,
                                         info.container_runtime_version)
    for p in core.list_pod_for_all_namespaces(_request_timeout=10).items:
        box = boxes.get(p.spec.node_name or "")
        if box is not None:
            comp = (p.metadata.labels or {}).get(COMPONENT_LABEL, "")
            box.pods.append((p.metadata.namespace, p.metadata.name, comp))
    return order(list(boxes.values()))


def order(boxes: list[NodeBox]) -> list[NodeBox]:
    """Control plane first, then workers by name; pods: control-plane components first."""
    for box in boxes:
        box.pods.sort(key=lambda p: (not p[2], p[0], p[1]))
    return sorted(boxes, key=lambda b: (not b.is_control_plane, b.name))


def short(name: str, width: int = 30) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def draw(boxes: list[NodeBox], title: str = "", highlight_namespace: str = "", max_pods: int = 12):
    """A matplotlib figure: control plane row on top, worker row beneath, pods inside nodes."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    masters = [b for b in boxes if b.is_control_plane]
    workers = [b for b in boxes if not b.is_control_plane]
    per_row = max(len(masters), len(workers), 1)
    box_w, gap = 3.6, 0.5
    width = per_row * (box_w + gap) + gap
    pod_h = 0.32

    def height(box):
        return 1.0 + pod_h * min(len(box.pods), max_pods + 1)

    top_h = max([height(b) for b in masters] or [1.0])
    bottom_h = max([height(b) for b in workers] or [1.0])
    total_h = top_h + bottom_h + 2.2
    fig, ax = plt.subplots(figsize=(width * 1.25, total_h * 0.95))
    ax.set_xlim(0, width)
    ax.set_ylim(0, total_h)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=14, loc="left")

    def node_box(box, x, y_top, h, colour):
        ax.add_patch(FancyBboxPatch((x, y_top - h), box_w, h, boxstyle="round,pad=0.05",
                                    facecolor=colour, edgecolor="#57606a", linewidth=1.5))
        ax.text(x + 0.1, y_top - 0.3, box.name, fontsize=11, fontweight="bold", va="center")
        ax.text(x + 0.1, y_top - 0.65, f"{box.roles} · kubelet {box.kubelet} · {box.runtime}",
                fontsize=7.5, color="#57606a", va="center")
        shown = box.pods[:max_pods]
        for i, (ns, name, comp) in enumerate(shown):
            yy = y_top - 1.0 - i * pod_h
            if comp:
                face, text = "#ddf4ff", f"{comp}  (static pod)"
            elif highlight_namespace and ns == highlight_namespace:
                face, text = "#dafbe1", f"{short(name)}  [{ns}]"
            else:
                face, text = "#ffffff", f"{short(name)}  [{ns}]"
            ax.add_patch(FancyBboxPatch((x + 0.15, yy - pod_h * 0.8), box_w - 0.3, pod_h * 0.72,
                                        boxstyle="round,pad=0.02", facecolor=face, edgecolor="#8c959f",
                                        linewidth=0.8))
            ax.text(x + 0.25, yy - pod_h * 0.44, text, fontsize=7.5, va="center")
        if len(box.pods) > max_pods:
            ax.text(x + 0.25, y_top - 1.0 - max_pods * pod_h - pod_h * 0.44,
                    f"… and {len(box.pods) - max_pods} more pods", fontsize=7.5, va="center", color="#57606a")
        return (x + box_w / 2, y_top - h, y_top)

    def row_x(count):
        used = count * box_w + (count - 1) * gap
        start = (width - used) / 2
        return [start + i * (box_w + gap) for i in range(count)]

    y_top = total_h - 0.6
    anchors_m = [node_box(b, x, y_top, top_h, "#f6f8fa") for b, x in zip(masters, row_x(len(masters)))]
    y_bottom = y_top - top_h - 1.4
    anchors_w = [node_box(b, x, y_bottom, bottom_h, "#fff8c5") for b, x in zip(workers, row_x(len(workers)))]
    for mx, m_low, _ in anchors_m:
        for wx, _, w_top in anchors_w:
            ax.annotate("", xy=(wx, w_top + 0.05), xytext=(mx, m_low - 0.05),
                        arrowprops=dict(arrowstyle="->", color="#0969da", linewidth=1.2))
    if anchors_m and anchors_w:
        ax.text(width / 2, y_top - top_h - 0.7, "API server ⇄ kubelet on every node",
                ha="center", fontsize=9, color="#0969da",
                bbox=dict(facecolor="white", edgecolor="none", pad=1))
    fig.tight_layout()
    return fig
