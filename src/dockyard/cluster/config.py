"""Pure rendering of the kind cluster config and the manifests baked into the node image.

No engine, no files written: unit-tested in tests/unit/test_cluster_config.py.
"""
from __future__ import annotations

from pathlib import Path

from dockyard import settings, versions
from dockyard.paths import REPO

MANIFEST_DIR = REPO / "k8s-manifests" / "kind"


def nodeports(first: int = versions.NODEPORT_FIRST, last: int = versions.NODEPORT_LAST) -> list[int]:
    if not 30000 <= first <= last <= 32767:
        raise ValueError(f"NodePort range {first}-{last} is outside Kubernetes' 30000-32767")
    return list(range(first, last + 1))


def port_mappings_yaml(ports: list[int], listen: str = "127.0.0.1", indent: int = 6, host_offset: int = 0) -> str:
    """NodePort N on host port N + host_offset (a second cluster on one machine moves its ports)."""
    pad = " " * indent
    lines = []
    for port in ports:
        lines += [f"{pad}- containerPort: {port}", f"{pad}  hostPort: {port + host_offset}",
                  f"{pad}  listenAddress: \"{listen}\"", f"{pad}  protocol: TCP"]
    return "\n".join(lines)


def fill(template: str, values: dict[str, str]) -> str:
    """Replace each @KEY@; a placeholder left unfilled is a bug in the recipe, so fail."""
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    if "@" in "".join(line.split("#", 1)[0] for line in template.splitlines()):
        leftover = [line.strip() for line in template.splitlines() if "@" in line.split("#", 1)[0]]
        raise ValueError(f"unfilled placeholder in: {leftover[0]}")
    return template


def render_cluster_config(name: str = versions.CLUSTER_NAME, ports: list[int] | None = None,
                          template: str | None = None, host_offset: int | None = None) -> str:
    """`host_offset` None: DOCKYARD_NODEPORT_HOST_OFFSET (settings.py), 0 when unset."""
    template = template if template is not None else (MANIFEST_DIR / "cluster.yaml").read_text()
    ports = nodeports() if ports is None else ports
    host_offset = settings.nodeport_host_offset() if host_offset is None else host_offset
    return fill(template, {"NAME": name, "PORT_MAPPINGS": port_mappings_yaml(ports, host_offset=host_offset)})


def render_manifest(filename: str, values: dict[str, str], folder: Path = MANIFEST_DIR) -> str:
    return fill((folder / filename).read_text(), values)
