"""`dockyard doctor`: one line per thing the kit needs, each failure with its fix."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from . import versions
from .paths import cache_dir, tool

MIN_FREE_DISK_GB = 20      # images, the node image and Go caches
MIN_FREE_MEMORY_GB = 4     # a 3-node cluster plus Spark


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    @property
    def mark(self) -> str:
        return "✓" if self.ok else ("✗" if self.required else "!")


def check_engine() -> list[Check]:
    from .engine import engine_status
    status = engine_status()
    if not status.reachable:
        return [Check("engine", False, status.problem, status.fix)]
    return [Check("engine", True, f"reachable at {status.where}"),
            Check("engine version", True, f"Docker {status.version}, API {status.api_version}")]


def _tool_version(name: str, args: list[str]) -> str | None:
    path = tool(name)
    if not path:
        return None
    out = subprocess.run([path, *args], capture_output=True, text=True, timeout=10)
    return (out.stdout or out.stderr).strip().splitlines()[0] if out.returncode == 0 else None


def check_tools() -> list[Check]:
    kind = _tool_version("kind", ["version"])
    kubectl = _tool_version("kubectl", ["version", "--client"])
    return [
        Check("kind", bool(kind), kind or "not found", "build it with `dockyard cluster up`", required=False),
        Check("kubectl", bool(kubectl), kubectl or "not found",
              "build it with `dockyard cluster up`", required=False),
    ]


def check_cluster() -> Check:
    from .kube import api_client_or_none, kube_context
    context = kube_context()
    api = api_client_or_none(context)
    if api is None:
        return Check("cluster", False, f"context {context} does not answer",
                     "start it with `dockyard cluster up`", required=False)
    from kubernetes import client
    nodes = client.CoreV1Api(api).list_node(_request_timeout=5).items
    ready = sum(any(c.type == "Ready" and c.status == "True" for c in n.status.conditions) for n in nodes)
    return Check("cluster", ready == len(nodes) > 0, f"{context}: {ready}/{len(nodes)} nodes Ready",
                 "repair it with `dockyard cluster up`", required=False)


def free_disk_gb(path: str) -> float:
    usage = shutil.disk_usage(path)
    return usage.free / 2**30


def available_memory_gb(meminfo: str | None = None) -> float:
    if meminfo is None:
        with open("/proc/meminfo") as f:
            meminfo = f.read()
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def check_resources() -> list[Check]:
    docker_root = "/var/lib/docker" if os.path.exists("/var/lib/docker") else "/"
    checks = []
    for label, path in (("disk (docker)", docker_root), ("disk (cache)", str(cache_dir()))):
        free = free_disk_gb(path)
        checks.append(Check(label, free >= MIN_FREE_DISK_GB, f"{free:.0f} GB free at {path}",
                            f"free at least {MIN_FREE_DISK_GB} GB (`dockyard clean --all` removes our images)"))
    mem = available_memory_gb()
    checks.append(Check("memory", mem >= MIN_FREE_MEMORY_GB, f"{mem:.1f} GB available",
                        f"close programs: the cluster and Spark need {MIN_FREE_MEMORY_GB} GB"))
    return checks


def _cluster_checks() -> list[Check]:
    try:
        return [check_cluster()]
    except Exception as exc:  # a broken kubeconfig is a finding, not a crash
        return [Check("cluster", False, str(exc).splitlines()[0], "run `dockyard cluster up`", required=False)]


def check_steps(cluster: bool = True) -> list[tuple[str, object]]:
    """The checks in named groups, for a progress display: (name, callable returning checks)."""
    steps = [("engine", check_engine), ("tools", check_tools)]
    if cluster:
        steps.append(("cluster", _cluster_checks))
    return steps + [("disk and memory", check_resources)]


def run_checks(cluster: bool = True) -> list[Check]:
    return [check for _, run in check_steps(cluster) for check in run()]


def format_checks(checks: list[Check]) -> list[str]:
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        line = f"{c.mark} {c.name.ljust(width)}  {c.detail}"
        if not c.ok and c.fix:
            line += f"  → {c.fix}"
        lines.append(line)
    return lines


def healthy(checks: list[Check]) -> bool:
    return all(c.ok for c in checks if c.required)


__all__ = ["Check", "run_checks", "format_checks", "healthy", "versions"]
