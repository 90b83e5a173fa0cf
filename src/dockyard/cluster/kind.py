"""The kit's kind cluster: create, reuse, repair after a dockerd restart, delete, load images.

`cluster_up()` is idempotent: a healthy cluster is reused in a second or two; nodes stopped by
a dockerd restart are started again and checked. What learners made in a cluster is never lost
silently: one made from an older node recipe is kept (with a note), and a cluster is recreated
only when asked (`recreate=True`) or when it cannot be repaired, after saying what goes with it.
`decide()` holds that rule. A creation that fails or is interrupted removes its half-made cluster.
The node image follows the way (ways.py): kind's published node pinned by digest when online,
ours built from source otherwise.
"""
from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dockyard import settings, versions

from dockyard.cluster import ways
from dockyard.cluster import config, kindtool, node_image
from dockyard.display import Progress, waiting
from dockyard.engine import connect
from dockyard.errors import CommandFailed, DockyardError
from dockyard.host import gobuild
from dockyard.host.ports import is_free
from dockyard.images.build import existing, pull_pinned
from dockyard.kube import api_client, require_context
from dockyard.paths import BUILD
from dockyard.timings import timed

KIND_LABEL = versions.KIND_CLUSTER_LABEL
ROLE_LABEL = "io.x-k8s.kind.role"
INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")
WANT_INOTIFY = 512
READY_TIMEOUT = 180
# Namespaces kind and Kubernetes make; anything else in the cluster is someone's work.
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease", "default", "local-path-storage"})


@dataclass
class State:
    kind: str                  # "absent", "running", "stopped"
    nodes: list                # docker containers of the cluster
    image: str = ""            # the reference the nodes were made from
    image_id: str = ""         # and that image's ID


@dataclass(frozen=True)
class NodeImage:
    """What `kind create cluster --image` gets. A pinned image is compared with the nodes by
    image ID; ours by its tag, which carries the recipe."""
    ref: str
    image_id: str = ""

    def runs(self, current: State) -> bool:
        return current.image_id == self.image_id if self.image_id else current.image == self.ref


def kind_binary(log=print) -> str:
    """From source, kind is built with Go like the node's programs; on any other way (or none
    decided yet) it is found, built or downloaded and checked (kindtool.py)."""
    way = ways.settled()
    if way is not None and way.name == ways.FROM_SOURCE:
        return str(gobuild.ensure_program("kind"))
    return str(kindtool.ensure_kind(log))


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


@dataclass(frozen=True)
class Decision:
    action: str                # "create", "check" (repair, then decide again), "keep", "recreate"
    reason: str
    newer_recipe: bool = False  # kept, though the node recipe now gives another image


def decide(kind: str, outdated: bool, recreate: bool = False, healthy: bool | None = None) -> Decision:
    """What `cluster up` does with the cluster it found. `healthy` is None until a repair was tried.
    Recreating loses what learners made, so it needs consent or a cluster beyond repair."""
    if kind == "absent":
        return Decision("create", "there is no cluster yet")
    if recreate:
        return Decision("recreate", "asked to with --recreate")
    if kind == "broken":
        return Decision("recreate", "some of its node containers are gone, which cannot be repaired")
    if healthy is None:
        return Decision("check", "it exists; check it and repair what a dockerd restart did")
    if not healthy:
        return Decision("recreate", "it did not come back healthy, even after repair")
    if outdated:
        return Decision("keep", "healthy, though made from an older node recipe", newer_recipe=True)
    return Decision("keep", "healthy and made from the current node recipe")


def learner_workloads(pods_by_namespace: dict[str, int]) -> dict[str, int]:
    """Namespace -> pods, of what is not kind's or Kubernetes' own; `default` only when it holds pods."""
    return {ns: n for ns, n in sorted(pods_by_namespace.items())
            if ns not in SYSTEM_NAMESPACES or (ns == "default" and n > 0)}


def describe_loss(pods_by_namespace: dict[str, int] | None, show: int = 5) -> str:
    """What deleting the cluster loses, for "…, losing <this>". None: the API could not be asked."""
    if pods_by_namespace is None:
        return "whatever is in it (its namespaces could not be listed)"
    work = learner_workloads(pods_by_namespace)
    if not work:
        return "no learner namespaces (only the system ones exist)"
    listed = [f"{ns} ({n} pod{'' if n == 1 else 's'})" for ns, n in list(work.items())[:show]]
    if len(work) > show:
        listed.append(f"and {len(work) - show} more")
    return f"{len(work)} namespace{'' if len(work) == 1 else 's'} of workloads: {', '.join(listed)}"


def outdated_note(running: str, newer: str, pods_by_namespace: dict[str, int] | None, pinned: bool = False) -> str:
    what, action = (("the kit pins another node image", "make it again from that") if pinned
                    else ("a newer node recipe exists", "rebuild it"))
    return (f"note: the cluster was kept; it runs {running}, and {what} ({newer}): "
            f"`dockyard cluster up --recreate` would {action}, losing {describe_loss(pods_by_namespace)}")


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
            raise DockyardError(f"port {host}:{port} is taken, and the cluster publishes its NodePorts on "
                                f"{host}:{ports[0]}-{ports[-1]}",
                                f"stop what listens on it (`ss -ltnp 'sport = :{port}'`), then retry")


def state(client, name: str = versions.CLUSTER_NAME) -> State:
    nodes = client.containers.list(all=True, filters={"label": f"{KIND_LABEL}={name}"})
    kind = classify({c.name: c.status for c in nodes})
    image = nodes[0].attrs.get("Config", {}).get("Image", "") if nodes else ""
    return State(kind, nodes, image, nodes[0].attrs.get("Image", "") if nodes else "")


def _run(cmd: list[str], progress: Progress | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if progress:
                progress.line(line)
        proc.wait()
    except BaseException:  # Ctrl-C: make sure kind has stopped before anyone cleans up after it
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    result = subprocess.CompletedProcess(cmd, proc.returncode, "\n".join(lines), "")
    if check and proc.returncode != 0:
        raise CommandFailed(f"`{' '.join(cmd[:3])}` failed: {(lines or ['?'])[-1]}",
                            "run `dockyard cluster down`, then `dockyard cluster up`",
                            command=cmd, returncode=proc.returncode, output=result.stdout)
    return result


def export_kubeconfig(name: str = versions.CLUSTER_NAME) -> None:
    _run([kind_binary(), "export", "kubeconfig", "--name", name])


def nodes_ready(api) -> tuple[int, int]:
    items = api.list_node(_request_timeout=5).items
    ready = sum(1 for n in items for c in (n.status.conditions or []) if c.type == "Ready" and c.status == "True")
    return ready, len(items)


def pods_by_namespace(context: str = versions.KUBE_CONTEXT) -> dict[str, int] | None:
    """Every namespace with its number of pods; None when the API does not answer."""
    from kubernetes.client import CoreV1Api
    try:
        with api_client(context) as kube_client:
            api = CoreV1Api(kube_client)
            counts = {ns.metadata.name: 0 for ns in api.list_namespace(_request_timeout=5).items}
            for pod in api.list_pod_for_all_namespaces(_request_timeout=10).items:
                counts[pod.metadata.namespace] = counts.get(pod.metadata.namespace, 0) + 1
            return counts
    except Exception:  # API down, kubeconfig entry missing: say so rather than fail
        return None


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
    offset = settings.nodeport_host_offset()
    check_ports_free([port + offset for port in ports])
    raise_inotify_limit()
    path = BUILD / "kind-cluster.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config.render_cluster_config(name, ports, host_offset=offset))
    make_cluster(kind_binary(progress.line), tag, path, progress, name)


def _one_line(err: BaseException) -> str:
    if isinstance(err, DockyardError):
        return err.what
    return f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[0]}"


def nodes_left(name: str, settle: float = 3, timeout: float = 60) -> list[str]:
    """The cluster's node containers on the engine, once their list has not changed for `settle`
    seconds. After Ctrl-C the engine may still be creating a node that kind asked for (the request
    was sent), or removing one, when `kind delete` returns."""
    client = connect()
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while True:   # the low-level list: a container being removed may be gone before it is inspected
        now = sorted(c["Names"][0].lstrip("/")
                     for c in client.api.containers(all=True, filters={"label": f"{KIND_LABEL}={name}"}))
        if now != last:
            last, since = now, time.monotonic()
        if time.monotonic() - since >= settle or time.monotonic() > deadline:
            return now
        time.sleep(0.5)


def make_cluster(kind: str, tag: str, config_path: Path, progress: Progress, name: str = versions.CLUSTER_NAME,
                 run: Callable = _run, healthy: Callable = wait_healthy, left: Callable = nodes_left,
                 removal_timeout: float = 60) -> None:
    """`kind create cluster`, then wait until it is healthy. On a failure or Ctrl-C on the way,
    delete the half-made cluster (kind keeps it with --retain, and on Ctrl-C anyway), so the
    next `cluster up` starts clean instead of repairing something that never worked."""
    try:
        with progress.step(f"Creating cluster {name} (1 control plane, 2 workers)"), timed("cluster", "kind create"):
            run([kind, "create", "cluster", "--name", name, "--image", tag, "--config", str(config_path),
                 "--wait", "2m", "--retain"], progress)
        with progress.step("Waiting for all nodes and kube-system pods"), timed("cluster", "wait healthy"):
            if not healthy(progress=progress):
                raise DockyardError(f"the new cluster did not become healthy within {READY_TIMEOUT}s")
    except (Exception, KeyboardInterrupt) as err:
        what = (f"creating the cluster {name} was interrupted" if isinstance(err, KeyboardInterrupt)
                else f"creating the cluster {name} failed ({_one_line(err)})")
        try:
            # Nodes whose creation the engine had already been asked for appear after kind stopped,
            # seconds later on a busy machine: delete until none is left (or a minute passed).
            deadline = time.monotonic() + removal_timeout
            while True:
                run([kind, "delete", "cluster", "--name", name], None)
                still = left(name)
                if not still or time.monotonic() > deadline:
                    break
            if still:
                raise DockyardError(f"its node containers {', '.join(still)} are still there")
        except (Exception, KeyboardInterrupt) as gone:
            raise DockyardError(f"{what}, and removing the half-made cluster failed too ({_one_line(gone)})",
                                "run `dockyard cluster down`, then `dockyard cluster up`") from None
        fix = ("run `dockyard cluster up` to create it again" if isinstance(err, KeyboardInterrupt)
               else "run `dockyard doctor` to see what is missing, then `dockyard cluster up` again")
        raise DockyardError(f"{what}; the half-made cluster was removed", fix) from None


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


def node_for(client, way: ways.Way, progress: Progress, name: str = versions.CLUSTER_NAME) -> NodeImage:
    """The node image of this way: pulled by its digest online, built from source, or what is here."""
    if way.name == ways.ONLINE:
        ref = settings.kind_node_image()
        found = existing(client, ref)
        if found is None:
            with progress.step(f"Pulling the node image {ways.short_ref(ref)}"):
                found = pull_pinned(client, ref, progress, section="cluster")
            name_tag = ref.split("@")[0]
            if ":" in name_tag.rsplit("/", 1)[-1] and existing(client, name_tag) is None:
                found.tag(*name_tag.rsplit(":", 1))   # a name in `docker images`, safe from `image prune`
        return NodeImage(ref, found.id)
    if way.name == ways.HERE:
        return node_here(client, name)
    return NodeImage(node_image.ensure_node_image(client, progress))


def node_here(client, name: str = versions.CLUSTER_NAME) -> NodeImage:
    """A node image already on the engine: the one the cluster runs, else ours, else the pinned one."""
    found = []
    built = node_image.node_image_ref()
    if existing(client, built) is not None:
        found.append(NodeImage(built))
    pinned_ref = settings.kind_node_image()
    pinned = existing(client, pinned_ref)
    if pinned is not None:
        found.append(NodeImage(pinned_ref, pinned.id))
    if not found:
        raise DockyardError("no node image is on the engine any more",
                            "run `dockyard cluster up --online` or `dockyard cluster up --from-source`")
    running = state(client, name)
    return next((node for node in found if node.runs(running)), found[0])


def cluster_up(name: str = versions.CLUSTER_NAME, recreate: bool = False, way: ways.Way | None = None) -> str:
    """Bring the kit's cluster up (or reuse it) and return its kube context.

    recreate=True deletes an existing cluster and makes a new one from the current node image.
    `way`: how the node image is had (ways.py); None decides it here, unless this run already did.
    """
    other = external_context()
    if other:
        require_context(other)
        print(f"Using the existing cluster of context {other!r} ({versions.KUBE_CONTEXT_ENV}); no kind cluster made"
              + (" or recreated." if recreate else "."))
        return other
    progress = Progress(f"Cluster {name}")
    client = connect()
    way = ways.settle(way) if way else ways.current(client)
    raise_inotify_limit()
    with timed("cluster", "cluster up"):
        node = node_for(client, way, progress, name)
        current = state(client, name)
        outdated = current.kind != "absent" and not node.runs(current)
        decision = decide(current.kind, outdated, recreate)
        if decision.action == "check":
            with progress.step("Checking the existing cluster"), timed("cluster", "check or repair"):
                healthy = revive(client, current, progress, name)
            decision = decide(current.kind, outdated, recreate, healthy)
        if decision.action == "keep":
            if decision.newer_recipe:
                print(outdated_note(current.image, node.ref, pods_by_namespace(), pinned=bool(node.image_id)))
            return versions.KUBE_CONTEXT
        if decision.action == "recreate":
            # Say what goes before it goes.
            print(f"Recreating the cluster {name} ({decision.reason}), losing {describe_loss(pods_by_namespace())}")
            with progress.step(f"Deleting the cluster ({decision.reason})"):
                delete(name, progress)
        create(client, node.ref, progress, name)
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


def nameless_images(images: list[dict], used: set[str]) -> list[dict]:
    """Of a node's `crictl images`: those no tag names (only kind load's import@digest name is
    left, after their tag moved to a newer build) and no container uses."""
    return [i for i in images if not i.get("repoTags") and not i.get("pinned") and i.get("id") not in used]


def containerd_names(image: dict) -> list[str]:
    """The names containerd keeps an image of `crictl images` under. `kind load` (ctr import
    --digests) stores `import-<date>@sha256:…` as given, while the CRI shows it as
    docker.io/library/…, and removing that shown name (`crictl rmi`) leaves the image in place."""
    names = [image["id"]] + list(image.get("repoTags") or [])
    for digest in image.get("repoDigests") or []:
        names += [digest, digest.removeprefix("docker.io/library/")]
    return names


def _containerd_image_names(node) -> set[str] | None:
    listed = node.exec_run(["ctr", "-n", "k8s.io", "images", "ls", "-q"])
    return set(listed.output.decode().split()) if listed.exit_code == 0 else None


def remove_from_node(node, image: dict) -> bool:
    """Remove every name of `image` from the node's containerd; True when it had one and has none left."""
    before = _containerd_image_names(node) or set()
    names = sorted(set(containerd_names(image)) & before)
    if not names:
        return False   # gone already, only the CRI's list still shows it
    node.exec_run(["ctr", "-n", "k8s.io", "images", "rm", *names])
    after = _containerd_image_names(node)
    return after is not None and not set(names) & after


def prune_nameless_images(client, name: str = versions.CLUSTER_NAME) -> tuple[int, int]:
    """Remove them from every node of the kit's cluster; (how many, bytes). The CRI keeps listing
    them until its containerd restarts (the next `cluster up` after a dockerd restart), their disk
    space is free at once."""
    import json
    count = size = 0
    for node in client.containers.list(filters={"label": f"{KIND_LABEL}={name}"}):
        listed = node.exec_run(["crictl", "images", "-o", "json"])
        running = node.exec_run(["crictl", "ps", "-a", "-o", "json"])
        if listed.exit_code != 0 or running.exit_code != 0:
            continue   # a node that does not answer keeps what it has
        used = {c.get("imageRef") for c in json.loads(running.output or b"{}").get("containers") or []}
        for image in nameless_images(json.loads(listed.output or b"{}").get("images") or [], used):
            if remove_from_node(node, image):
                count, size = count + 1, size + int(image.get("size") or 0)
    return count, size


def load_image(ref: str, name: str = versions.CLUSTER_NAME, nodes: list[str] | None = None) -> bool:
    """Copy a locally built image into every node (or those of `nodes`); skipped (False) on a
    cluster that is not ours."""
    other = external_context()
    if other:
        print(f"note: not loading {ref}: context {other!r} is not a kind cluster of this kit, so its nodes "
              "cannot see local images; push the image to a registry that cluster can pull from.")
        return False
    if ref.endswith(":latest") or ":" not in ref.rsplit("/", 1)[-1]:
        raise DockyardError(f"{ref} has no tag or :latest, which makes Kubernetes pull it always",
                            "give the image a version tag, e.g. myapp:1.0")
    with timed("cluster", f"load {ref}"), waiting(f"kind to copy {ref} into " + (", ".join(nodes) if nodes else "the nodes")):
        _run([kind_binary(), "load", "docker-image", "--name", name, ref]
             + (["--nodes", ",".join(nodes)] if nodes else []))
    return True
