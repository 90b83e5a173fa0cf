"""The kit's kind cluster, for real: 3 nodes, no registry, local images, NodePorts, DNS, repair.

Runs against the cluster `dockyard.cluster.cluster_up()` makes (it builds the node image when
missing). The last test restarts dockerd, so it runs last in this module.
"""
import json
import subprocess
import time
import urllib.request
import uuid

import docker
import pytest

from dockyard import kube, versions
from dockyard.cluster import kind, node_image
from dockyard.images import image
from dockyard.images.catalog import catalog_refs

pytestmark = pytest.mark.cluster  # live: a skip counts as a failure

NAMESPACE = f"dockyard-test-{uuid.uuid4().hex[:6]}"
WEB = {}  # the NodePort the web service got
BUSYBOX = image("busybox").ref


@pytest.fixture(scope="module")
def context():
    assert kind.external_context() is None, "unset DOCKYARD_KUBE_CONTEXT to test the kit's own cluster"
    return kind.cluster_up()


@pytest.fixture(scope="module")
def api(context):
    from kubernetes import client, config
    config.load_kube_config(context=context)
    return client


@pytest.fixture(scope="module")
def namespace(api):
    core = api.CoreV1Api()
    core.create_namespace(api.V1Namespace(metadata=api.V1ObjectMeta(
        name=NAMESPACE, labels={versions.LABEL_KEY: "test"})))
    kube.wait_for_default_service_account(core, NAMESPACE)
    yield NAMESPACE
    core.delete_namespace(NAMESPACE)


def wait_for(check, timeout=120, every=1.0, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as err:  # API or pod not there yet
            last = err
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


def pod(api, name, node, command, labels=None):
    return api.V1Pod(
        metadata=api.V1ObjectMeta(name=name, labels=labels or {}),
        spec=api.V1PodSpec(
            node_name=node, restart_policy="Never",
            containers=[api.V1Container(name="main", image=BUSYBOX, image_pull_policy="Never",
                                        command=["sh", "-c", command])]))


def pod_phase(core, name):
    return core.read_namespaced_pod(name, NAMESPACE).status.phase


def test_three_nodes_ready(api):
    nodes = api.CoreV1Api().list_node().items
    assert len(nodes) == 3
    roles = sorted("control-plane" if "node-role.kubernetes.io/control-plane" in n.metadata.labels else "worker"
                   for n in nodes)
    assert roles == ["control-plane", "worker", "worker"]
    for n in nodes:
        ready = {c.type: c.status for c in n.status.conditions}["Ready"]
        assert ready == "True", f"{n.metadata.name} is not Ready"
        assert n.status.node_info.kubelet_version == versions.KUBERNETES_VERSION


def test_every_kube_system_pod_running(api):
    pods = api.CoreV1Api().list_namespaced_pod("kube-system").items
    names = [p.metadata.name for p in pods]
    for prefix in ("etcd-", "kube-apiserver-", "kube-controller-manager-", "kube-scheduler-", "coredns-",
                   "kube-proxy-", "podnet-"):
        assert any(n.startswith(prefix) for n in names), f"no {prefix}* pod in kube-system"
    not_running = [(p.metadata.name, p.status.phase) for p in pods if p.status.phase != "Running"]
    assert not not_running


def test_node_runs_our_node_image(context):
    out = subprocess.run(["docker", "inspect", "-f", "{{.Config.Image}}", f"{versions.CLUSTER_NAME}-control-plane"],
                         capture_output=True, text=True, check=True).stdout.strip()
    # `cluster up` keeps a healthy cluster of an older recipe (and says so), so any of ours will do.
    assert out.startswith(f"{node_image.NODE_REPOSITORY}:{versions.KUBERNETES_VERSION}-"), out


def foreign_images(images, ours):
    """Images of one node's `crictl images -o json` that the kit did not put there.

    Ours: a tag in `ours` (full refs), and digests only under containerd's `import-<date>`
    names, which `ctr images import --digests` (node build, `kind load`) gives. A pulled image
    carries a digest in its registry's repository, even when its tag is one of ours.
    """
    foreign = []
    for i in images:
        tags, digests = i.get("repoTags") or [], i.get("repoDigests") or []
        pulled = [d for d in digests if not d.split("@")[0].rsplit("/", 1)[-1].startswith("import-")]
        if pulled or any(kube.full_image_ref(t) not in ours for t in tags):
            foreign.append(f"{', '.join(tags) or '(untagged)'} {', '.join(pulled)}".strip())
    return foreign


def test_no_image_was_pulled_from_any_registry(api):
    # Events last an hour: they show a recent pull only. What each node holds shows any pull.
    ours = {kube.full_image_ref(r) for r in [c.ref for c in node_image.COMPONENTS] + sorted(catalog_refs())}
    nodes = sorted(c.name for c in kind.state(docker.from_env()).nodes)   # the node containers
    assert len(nodes) == 3, nodes
    found = {}
    for node in nodes:
        listing = json.loads(subprocess.run(["docker", "exec", node, "crictl", "images", "-o", "json"],
                                            capture_output=True, text=True, check=True).stdout)
        assert listing["images"], f"crictl lists no image on {node}"
        foreign = foreign_images(listing["images"], ours)
        if foreign:
            found[node] = foreign
    assert not found, f"images the kit did not load (pulled from a registry?): {found}"

    events = api.CoreV1Api().list_event_for_all_namespaces().items
    pulls = [f"{e.involved_object.namespace}/{e.involved_object.name}: {e.reason} {e.message}" for e in events
             if e.reason in ("Pulling", "Pulled", "Failed", "ErrImagePull", "BackOff")
             and "pull" in (e.message or "").lower() and "already present" not in (e.message or "")]
    assert not pulls, pulls


def test_local_image_runs_on_each_worker(api, namespace):
    assert kind.load_image(BUSYBOX) is True
    core = api.CoreV1Api()
    workers = [n.metadata.name for n in core.list_node().items
               if "node-role.kubernetes.io/control-plane" not in n.metadata.labels]
    assert len(workers) == 2
    for i, node in enumerate(workers):
        core.create_namespaced_pod(namespace, pod(api, f"local-{i}", node, "echo hello from $(hostname)"))
    for i, node in enumerate(workers):
        wait_for(lambda: pod_phase(core, f"local-{i}") == "Succeeded", what=f"pod on {node}")
        assert core.read_namespaced_pod(f"local-{i}", namespace).spec.node_name == node
        assert "hello from" in core.read_namespaced_pod_log(f"local-{i}", namespace)


def free_nodeport(core):
    """A port of the kit's mapped range that no service (maybe one still being deleted) holds."""
    taken = {p.node_port for svc in core.list_service_for_all_namespaces().items for p in (svc.spec.ports or [])}
    free = [p for p in range(versions.NODEPORT_FIRST, versions.NODEPORT_LAST + 1) if p not in taken]
    assert free, "every NodePort of the kit's range is taken"
    return free[-1]


def _web_server(api, namespace):
    """A busybox httpd pod behind a NodePort service (created once). Returns the NodePort."""
    core = api.CoreV1Api()
    if WEB:
        return WEB["port"]
    WEB["port"] = port = free_nodeport(core)
    body = pod(api, "web", None, "mkdir -p /www && echo dockyard-ok > /www/index.html && httpd -f -p 8080 -h /www",
               labels={"app": "web"})
    body.spec.restart_policy = "Always"
    core.create_namespaced_pod(namespace, body)
    core.create_namespaced_service(namespace, api.V1Service(
        metadata=api.V1ObjectMeta(name="web"),
        spec=api.V1ServiceSpec(type="NodePort", selector={"app": "web"}, ports=[
            api.V1ServicePort(port=80, target_port=8080, node_port=port)])))
    wait_for(lambda: pod_phase(core, "web") == "Running", what="web pod")
    return port


def test_nodeport_answers_on_loopback(api, namespace):
    kind.load_image(BUSYBOX)
    port = _web_server(api, namespace)
    body = wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3).read(),
                    what="NodePort on 127.0.0.1")
    assert body.strip() == b"dockyard-ok"


def test_pod_resolves_service_by_dns_name(api, namespace):
    _web_server(api, namespace)
    core = api.CoreV1Api()
    # busybox's nslookup and nc resolve through CoreDNS (its static wget cannot use the resolver).
    core.create_namespaced_pod(namespace, pod(
        api, "client", None, f"nslookup web.{namespace}.svc.cluster.local && "
                             "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 web 80"))
    wait_for(lambda: pod_phase(core, "client") in ("Succeeded", "Failed"), what="client pod")
    log = core.read_namespaced_pod_log("client", namespace)
    assert pod_phase(core, "client") == "Succeeded", log
    assert "dockyard-ok" in log


def test_cluster_up_twice_is_harmless(context):
    before = _node_ids()
    start = time.monotonic()
    assert kind.cluster_up() == context
    assert time.monotonic() - start < 60
    assert _node_ids() == before  # same containers: reused, not recreated


def _node_ids():
    out = subprocess.run(["docker", "ps", "-q", "--no-trunc", "--filter", f"label={kind.KIND_LABEL}={versions.CLUSTER_NAME}"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(out.split())


def test_dockerd_restart_is_detected_and_repaired(context):
    from dockyard.engine.provision import start_dockerd, stop_dockerd
    stop_dockerd()
    start_dockerd()
    import docker
    client = docker.from_env()
    assert kind.state(client).kind in ("stopped", "running")
    assert kind.cluster_up() == context
    assert kind.state(client).kind == "running"
    from kubernetes import client as k8s, config
    config.load_kube_config(context=context)
    ready, total = kind.nodes_ready(k8s.CoreV1Api())
    assert (ready, total) == (3, 3)
