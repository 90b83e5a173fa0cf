"""`dockyard doctor`: one line per thing the kit needs, each failure with its fix."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from dockyard import versions
from dockyard.host.gobuild import tool
from dockyard.host.resources import available_memory_gb, free_disk_gb
from dockyard.paths import cache_dir

MIN_FREE_DISK_GB = 20      # building the images, the node image and Go caches from source
NEED_FREE_DISK_GB = 3      # running the notebooks once everything is built: containers, volumes, Spark's data
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
    from dockyard.engine import engine_status
    status = engine_status()
    if not status.reachable:
        return [Check("engine", False, status.problem, status.fix)]
    return [Check("engine", True, f"reachable at {status.where}{_chosen_by(status.endpoint)}"),
            Check("engine version", True, f"Docker {status.version}, API {status.api_version}")]


def _chosen_by(endpoint) -> str:
    """What picked a non-default engine (DOCKER_HOST, a docker context), shown after its address."""
    from dockyard.engine.context import PLATFORM_DEFAULT
    return "" if endpoint is None or endpoint.source == PLATFORM_DEFAULT else f" ({endpoint.source})"


TOOL_TIMEOUT = 30   # seconds; `kubectl version --client` took over 10 on a machine busy with a test run


def _tool_check(name: str, args: list[str]) -> Check:
    """A tool's version as a check: found and answering, not found, or silent. Never raises, so
    the preflight cell always shows its table."""
    fix = "build it with `dockyard cluster up`"
    path = tool(name)
    if not path:
        return Check(name, False, "not found", fix, required=False)
    try:
        out = subprocess.run([path, *args], capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        return Check(name, False, f"`{name} {' '.join(args)}` gave no answer within {TOOL_TIMEOUT} s",
                     "the machine may be too busy: try again when it is quieter", required=False)
    except OSError as exc:
        return Check(name, False, f"{path} does not run: {exc.strerror}", fix, required=False)
    lines = (out.stdout or out.stderr).strip().splitlines()
    if out.returncode != 0 or not lines:
        return Check(name, False, "not found", fix, required=False)
    return Check(name, True, lines[0], fix, required=False)


def check_tools() -> list[Check]:
    return [_tool_check("kind", ["version"]), _tool_check("kubectl", ["version", "--client"])]


def check_cluster() -> Check:
    from dockyard.kube import api_client_or_none, kube_context
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


def disk_check(label: str, path: str, free: float) -> Check:
    """Below what a build from source needs: a warning (a machine whose images are built runs on
    less); below what the notebooks themselves need: a failure."""
    detail = f"{free:.0f} GB free at {path}"
    if free < NEED_FREE_DISK_GB:
        return Check(label, False, detail, f"the notebooks need {NEED_FREE_DISK_GB} GB free: "
                     "`dockyard clean` removes what the workshop made")
    return Check(label, free >= MIN_FREE_DISK_GB, detail,
                 f"building the images from source needs {MIN_FREE_DISK_GB} GB free", required=False)


def _disk_check(label: str, path: str) -> Check:
    return disk_check(label, path, free_disk_gb(path))


def host_resource_checks(docker_root: str) -> list[Check]:
    """An engine on this Linux host: its disk and this machine's free memory."""
    mem = available_memory_gb()
    return [_disk_check("disk (docker)", docker_root), _disk_check("disk (cache)", str(cache_dir())),
            Check("memory", mem >= MIN_FREE_MEMORY_GB, f"{mem:.1f} GB available",
                  f"close programs: the cluster and Spark need {MIN_FREE_MEMORY_GB} GB")]


def engine_resource_checks(facts, usage) -> list[Check]:
    """An engine in a VM (Docker Desktop) or elsewhere: only its own numbers tell. Pure.

    `facts` is an EngineFacts and `usage` a DiskUsage, or None when the engine did not say.
    Returns the disk check and the memory check.
    """
    unknown = "unknown: the engine does not answer"
    if facts is None:
        return [Check("disk (engine)", False, unknown, required=False),
                Check("memory", False, unknown, required=False)]
    where = "the engine's VM" if facts.is_desktop else f"the engine ({facts.name})"
    if usage is None:
        disk = Check("disk (engine)", False, unknown, required=False)
    else:   # the engine says what it uses, not what is free: a finding, never a failure
        disk = Check("disk (engine)", True, f"{usage.total / 2**30:.1f} GB in use in {where} "
                     "(images, containers, volumes, build cache)", required=False)
    mem = facts.mem_total_gb
    fix = ("give Docker Desktop more memory (Settings → Resources)" if facts.is_desktop
           else f"the cluster and Spark need {MIN_FREE_MEMORY_GB} GB on the engine's machine")
    return [disk, Check("memory", mem >= MIN_FREE_MEMORY_GB, f"{where} has {mem:.1f} GB", fix)]


def _docker_root(facts) -> str:
    """Where images live on this host: the engine's own DockerRootDir (rootless: under ~)."""
    for path in ([facts.root_dir] if facts and facts.root_dir else []) + ["/var/lib/docker"]:
        if os.path.exists(path):
            return path
    return "/"


def _engine_usage(client):
    from dockyard.engine.resources import disk_usage
    try:
        return disk_usage(client.df())
    except Exception:  # a slow or old engine: the disk line says "unknown" instead
        return None


def check_resources() -> list[Check]:
    from dockyard.engine.probe import engine_status, open_client
    from dockyard.engine.resources import engine_facts, host_readings_apply
    status = engine_status()
    client = open_client(status.endpoint, timeout=60) if status.reachable else None
    try:
        facts = engine_facts(client.info()) if client else None
        socket_path = status.endpoint.socket_path if status.endpoint else None
        if host_readings_apply(sys.platform, socket_path, facts):
            return host_resource_checks(_docker_root(facts))
        disk, memory = engine_resource_checks(facts, _engine_usage(client) if client else None)
    finally:
        if client:
            client.close()
    return [disk, _disk_check("disk (cache)", str(cache_dir())), memory]


def check_way(cluster: bool = True) -> list[Check]:
    """Which way `dockyard prepare` would take (ways.py), and why, in one line."""
    from dockyard.cluster.ways import detect
    from dockyard.engine.probe import engine_status, open_client
    from dockyard.errors import DockyardError
    status = engine_status()
    if not status.reachable:
        return [Check("way", False, "unknown: the engine does not answer", status.fix, required=False)]
    client = open_client(status.endpoint, timeout=60)
    try:
        way = detect(client, None, cluster)
    except DockyardError as err:  # no way open: say what would open one
        return [Check("way", False, err.what, err.fix, required=False)]
    except Exception as err:  # the engine failed to answer a question: a finding, not a crash
        first = (str(err).strip().splitlines() or [""])[0]
        return [Check("way", False, f"unknown: {type(err).__name__}: {first}", required=False)]
    finally:
        client.close()
    return [Check("way", True, way.line())]


def _cluster_checks() -> list[Check]:
    try:
        return [check_cluster()]
    except Exception as exc:  # a broken kubeconfig is a finding, not a crash
        return [Check("cluster", False, str(exc).splitlines()[0], "run `dockyard cluster up`", required=False)]


def check_steps(cluster: bool = True) -> list[tuple[str, object]]:
    """The checks in named groups, for a progress display: (name, callable returning checks)."""
    steps = [("engine", check_engine), ("tools", check_tools), ("way", lambda: check_way(cluster))]
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
