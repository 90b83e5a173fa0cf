"""The kit's kind cluster: create, reuse, repair after a dockerd restart, delete, load images.

`cluster_up()` is idempotent: a healthy cluster is reused in a second or two; nodes stopped by
a dockerd restart are started again and checked; a cluster that does not come back is
recreated from the node image (under two minutes).
"""
from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .. import versions
from ..display import Progress
from ..engine import connect
from ..errors import DockyardError
from ..kube import api_client, require_context
from ..paths import BUILD
from ..ports import is_free
from ..timings import timed
from . import config, gobuild, node_image

KIND_LABEL = versions.KIND_CLUSTER_LABEL
ROLE_LABEL = "io.x-k8s.kind.role"
INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")
WANT_INOTIFY = 512
READY_TIMEOUT = 180


@dataclass
class State:
    kind: str                  # "absent", "running", "stopped"
    nodes: list                # docker containers of the cluster
    image: str = ""


def kind_binary() -> str:
    return str(gobuild.ensure_program("kind"))


# -- pure helpers (unit-tested) ----------------------------------------------------------

def external_context(env: dict | None = None) -> str | None:
    """The context named by DOCKYARD_KUBE_CONTEXT when it is not the kit's own kind cluster."""
    env = os.environ if env is None else env
    ctx = env.get(versions.KUBE_CONTEXT_ENV, "").strip()
    return ctx if ctx and ctx != versions.KUBE_CONTEXT else None


def classify(statuses: dict[str, str], expected: int = 3) -> str:
    """From node container name -> docker status, the cluster's state."""
    if not statuses:
        return "absent"
    if len(statuses) != expected:
        return "broken"
    if all(s == "running" for s in statuses.values()):
        return "running"
    return "stopped"


def startup_order(names: list[str]) -> list[str]:
    """Control plane first, so it gets back its address and the API answers for the workers."""
    return sorted(names, key=lambda n: (not n.endswith("-control-plane"), n))


# -- facts from the machine --------------------------------------------------------------

def raise_inotify_limit() -> None:
    """Each node runs systemd and kubelet, which use inotify instances; 128 is too few for 3."""
    try:
        if int(INOTIFY_INSTANCES.read_text()) < WANT_INOTIFY:
            INOTIFY_INSTANCES.write_text(str(WANT_INOTIFY))
    except PermissionError:
        raise DockyardError(f"fs.inotify.max_user_instances is below {WANT_INOTIFY}; kind nodes fail to start",
                            f"run `sudo sysctl -w fs.inotify.max_user_instances={WANT_INOTIFY}`") from None
    except FileNotFoundError:
        pass  # Docker Desktop: the engine's VM has its own settings


def check_ports_free(ports: list[int], host: str = "127.0.0.1") -> None:
    for port in ports:
        if not is_free(host, port):
            raise DockyardError(f"port {host}:{port} is taken, and the cluster maps NodePorts "
                                f"{ports[0]}-{ports[-1]} there",
                                f"stop what listens on it (`ss -ltnp 'sport = :{port}'`), then retry")


def state(client, name: str = versions.CLUSTER_NAME) -> State:
    nodes = client.containers.list(all=True, filters={"label": f"{KIND_LABEL}={name}"})
    kind = classify({c.name: c.status for c in nodes})
    image = nodes[0].attrs.get("Config", {}).get("Image", "") if nodes else ""
    return State(kind, nodes, image)


def _run(cmd: list[str], progress: Progress | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if progress:
            progress.line(line)
    proc.wait()
    result = subprocess.CompletedProcess(cmd, proc.returncode, "\n".join(lines), "")
    if check and proc.returncode != 0:
        raise DockyardError(f"`{' '.join(cmd[:3])}` failed: {(lines or ['?'])[-1]}",
                            "run `dockyard cluster down`, then `dockyard cluster up`")
    return result


def export_kubeconfig(name: str = versions.CLUSTER_NAME) -> None:
    _run([kind_binary(), "export", "kubeconfig", "--name", name])


def nodes_ready(api) -> tuple[int, int]:
    items = api.list_node(_request_timeout=5).items
    ready = sum(1 for n in items for c in (n.status.conditions or []) if c.type == "Ready" and c.status == "True")
    return ready, len(items)


def system_pods_running(api) -> bool:
    pods = api.list_namespaced_pod("kube-system", _request_timeout=5).items
    return bool(pods) and all(p.status.phase == "Running" for p in pods)


def wait_healthy(expected: int = 3, timeout: float = READY_TIMEOUT, progress: Progress | None = None) -> bool:
    """True once every node is Ready and every kube-system pod runs; False at the timeout."""
    from kubernetes.client import CoreV1Api
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            # The kit's own cluster, whatever DOCKYARD_KUBE_CONTEXT says.
            with api_client(versions.KUBE_CONTEXT) as kube_client:
                api = CoreV1Api(kube_client)
                ready, total = nodes_ready(api)
                note = f"{ready}/{expected} nodes Ready"
                if ready == expected == total and system_pods_running(api):
                    return True
        except DockyardError:
            raise
        except Exception as err:  # API not answering yet
            note = f"API not answering yet ({type(err).__name__})"
        if progress and note != last:
            progress.line(note)
            last = note
        time.sleep(2)
    return False


# -- the actions -------------------------------------------------------------------------

def create(client, tag: str, progress: Progress, name: str = versions.CLUSTER_NAME) -> None:
    ports = config.nodeports()
    check_ports_free(ports)
    raise_inotify_limit()
    path = BUILD / "kind-cluster.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config.render_cluster_config(name, ports))
    with progress.step(f"Creating cluster {name} (1 control plane, 2 workers)"), timed("cluster", "kind create"):
        _run([kind_binary(), "create", "cluster", "--name", name, "--image", tag, "--config", str(path),
              "--wait", "2m", "--retain"], progress)
    with progress.step("Waiting for all nodes and kube-system pods"), timed("cluster", "wait healthy"):
        if not wait_healthy(progress=progress):
            raise DockyardError("the new cluster did not become healthy in time",
                                "look at `kubectl get pods -A`, then `dockyard cluster down && dockyard cluster up`")


def delete(name: str = versions.CLUSTER_NAME, progress: Progress | None = None) -> None:
    _run([kind_binary(), "delete", "cluster", "--name", name], progress)


def address_mismatches(node_ips: dict[str, str], container_ips: dict[str, str]) -> list[str]:
    """Nodes whose registered address is not their container's address any more."""
    return sorted(n for n, ip in node_ips.items() if container_ips.get(n) != ip)


def parse_node_ip(kubeadm_flags: str) -> str:
    """The --node-ip kind gave kubelet (in /var/lib/kubelet/kubeadm-flags.env)."""
    match = re.search(r"--node-ip=([0-9a-fA-F.:]+)", kubeadm_flags)
    return match.group(1).split(",")[0] if match else ""


def readdress_order(wanted: dict[str, str]) -> list[str]:
    """Docker hands a starting container the lowest free address of the network, so starting
    the nodes in the order of their old addresses gives each its old address back."""
    return sorted(wanted, key=lambda name: ipaddress.ip_address(wanted[name]))


def container_ips(client, name: str = versions.CLUSTER_NAME) -> dict[str, str]:
    out = {}
    for c in client.containers.list(filters={"label": f"{KIND_LABEL}={name}"}):
        nets = c.attrs.get("NetworkSettings", {}).get("Networks", {})
        out[c.name] = next((n.get("IPAddress") for n in nets.values() if n.get("IPAddress")), "")
    return out


def registered_ips(nodes) -> dict[str, str]:
    """Each node's address as kubelet, etcd and the API server were set up with it."""
    out = {}
    for c in nodes:
        code, text = c.exec_run(["cat", "/var/lib/kubelet/kubeadm-flags.env"])
        ip = parse_node_ip(text.decode(errors="replace")) if code == 0 else ""
        if ip:
            out[c.name] = ip
    return out


def revive(client, current: State, progress: Progress, name: str = versions.CLUSTER_NAME) -> bool:
    """Make an existing cluster usable again; True when it is healthy.

    A dockerd restart stops the nodes, or restarts them in any order, so docker may hand them
    each other's addresses, while etcd, the API server and kubelet keep the old ones. Then stop
    them all and start them in the order of their old addresses.
    """
    repaired = False
    stopped = [c for c in current.nodes if c.status != "running"]
    if stopped:
        progress.line(f"starting stopped nodes: {', '.join(c.name for c in stopped)}")
        by_name = {c.name: c for c in current.nodes}
        for cname in startup_order(list(by_name)):
            if by_name[cname].status != "running":
                by_name[cname].start()
        repaired = True
    nodes = client.containers.list(filters={"label": f"{KIND_LABEL}={name}"})
    wanted = registered_ips(nodes)
    moved = address_mismatches(wanted, container_ips(client, name))
    if moved and len(wanted) == len(nodes):
        progress.line(f"nodes have new addresses ({', '.join(moved)}); restarting them in address order")
        for c in nodes:
            c.stop(timeout=10)
        by_name = {c.name: c for c in nodes}
        for cname in readdress_order(wanted):
            by_name[cname].start()
        moved = address_mismatches(wanted, container_ips(client, name))
        repaired = True
    if moved:
        progress.line(f"nodes still at new addresses: {', '.join(moved)}")
        return False
    if repaired:
        raise_inotify_limit()
    export_kubeconfig(name)
    return wait_healthy(timeout=180 if repaired else 60, progress=progress)


def cluster_up(name: str = versions.CLUSTER_NAME) -> str:
    """Bring the kit's cluster up (or reuse it) and return its kube context."""
    other = external_context()
    if other:
        require_context(other)
        print(f"Using the existing cluster of context {other!r} ({versions.KUBE_CONTEXT_ENV}); no kind cluster made.")
        return other
    progress = Progress(f"Cluster {name}")
    client = connect()
    raise_inotify_limit()
    with timed("cluster", "cluster up"):
        tag = node_image.ensure_node_image(client, progress)
        current = state(client, name)
        outdated = current.kind != "absent" and current.image != tag
        if current.kind in ("running", "stopped") and not outdated:
            with progress.step("Checking the existing cluster"), timed("cluster", "check or repair"):
                if revive(client, current, progress, name):
                    return versions.KUBE_CONTEXT
        if current.kind != "absent":
            # A cluster that did not come back, or one made from an older node recipe.
            why = f"its nodes run {current.image}, the recipe now gives {tag}" if outdated else "it is broken"
            with progress.step(f"Deleting the cluster ({why})"):
                delete(name, progress)
        create(client, tag, progress, name)
    return versions.KUBE_CONTEXT


def cluster_down(name: str = versions.CLUSTER_NAME) -> bool:
    """Delete the kit's kind cluster; False when there was none."""
    if external_context():
        print(f"{versions.KUBE_CONTEXT_ENV} points at another cluster; the kit deletes only its own kind cluster.")
    client = connect()
    if state(client, name).kind == "absent":
        return False
    with timed("cluster", "kind delete"):
        delete(name)
    return True


def load_image(ref: str, name: str = versions.CLUSTER_NAME) -> bool:
    """Copy a locally built image into every node; skipped (False) on a cluster that is not ours."""
    other = external_context()
    if other:
        print(f"note: not loading {ref}: context {other!r} is not a kind cluster of this kit, so its nodes "
              "cannot see local images; push the image to a registry that cluster can pull from.")
        return False
    if ref.endswith(":latest") or ":" not in ref.rsplit("/", 1)[-1]:
        raise DockyardError(f"{ref} has no tag or :latest, which makes Kubernetes pull it always",
                            "give the image a version tag, e.g. myapp:1.0")
    with timed("cluster", f"load {ref}"):
        _run([kind_binary(), "load", "docker-image", "--name", name, ref])
    return True
