"""Pure parts of the Kubernetes plumbing: names, manifests, exec status, pod words, board, picture."""
import datetime

import pytest
import yaml
from kubernetes import client

from dockyard import kube, versions
from dockyard.errors import DockyardError
from dockyard.images.catalog import image
from dockyard.kube.board import UNSCHEDULED, columns, render
from dockyard.kube.picture import NodeBox, order


def test_namespace_from_prefix_or_parameter():
    assert kube.namespace_for("t1a2b3", "pods") == "t1a2b3-pods"
    assert kube.namespace_for("t1", "pods", "mine") == "mine"
    with pytest.raises(DockyardError):
        kube.namespace_for("Bad_Prefix", "pods")
    with pytest.raises(DockyardError):
        kube.namespace_for("x" * 60, "services")


def test_context_default_and_override(monkeypatch):
    monkeypatch.delenv(versions.KUBE_CONTEXT_ENV, raising=False)
    assert kube.kube_context() == versions.KUBE_CONTEXT and kube.is_kind_context()
    monkeypatch.setenv(versions.KUBE_CONTEXT_ENV, "other")
    assert kube.kube_context() == "other" and not kube.is_kind_context()


def test_missing_context_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    with pytest.raises(DockyardError) as err:
        kube.api_client("kind-nowhere")
    assert "no kubeconfig context named 'kind-nowhere'" in str(err.value)


def test_manifests_take_image_refs_from_the_catalog():
    text = kube.render_manifest("pods/hello-pod.yaml")
    doc = yaml.safe_load(text)
    assert doc["spec"]["containers"][0]["image"] == image("busybox").ref
    assert doc["spec"]["containers"][0]["imagePullPolicy"] in ("IfNotPresent", "Never")


def test_every_manifest_renders_when_given_its_values():
    values = {"NODE_PORT": str(versions.NODEPORT_FIRST), "VERSION": "v1"}
    for path in sorted((kube.MANIFESTS).glob("*/*.yaml")):
        if path.parent.name == "kind":
            continue
        docs = [d for d in yaml.safe_load_all(kube.render_manifest(path, values)) if d]
        for doc in docs:
            kube.resource_path(doc["apiVersion"], doc["kind"], "ns", doc["metadata"]["name"])


def test_unfilled_placeholder_is_named():
    with pytest.raises(DockyardError, match="@NODE_PORT@"):
        kube.render_manifest("services/web-services.yaml")


def test_resource_paths():
    assert kube.resource_path("v1", "Pod", "n", "p") == "/api/v1/namespaces/n/pods/p"
    assert kube.resource_path("apps/v1", "Deployment", "n", "d") == "/apis/apps/v1/namespaces/n/deployments/d"


def test_exec_status_channel():
    assert kube.parse_exec_status("{'metadata':{},'status':'Success'}") == (0, "")
    failure = ('{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code",'
               '"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}')
    assert kube.parse_exec_status(failure)[0] == 3
    notfound = '{"status":"Failure","message":"exec: \\"etcdctl\\": executable file not found in $PATH"}'
    code, message = kube.parse_exec_status(notfound)
    assert code is None and "executable file not found" in message


def _pod(phase="Running", waiting=None, terminated=None, ready=True, deleting=False, node="w1"):
    state = client.V1ContainerState(
        waiting=client.V1ContainerStateWaiting(reason=waiting) if waiting else None,
        terminated=client.V1ContainerStateTerminated(exit_code=1, reason=terminated) if terminated else None,
        running=client.V1ContainerStateRunning() if not (waiting or terminated) else None)
    cs = client.V1ContainerStatus(name="c", image="i", image_id="", ready=ready, restart_count=2, state=state)
    now = datetime.datetime.now(datetime.timezone.utc)
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name="p", namespace="n", creation_timestamp=now,
                                     deletion_timestamp=now if deleting else None),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="i")], node_name=node),
        status=client.V1PodStatus(phase=phase, container_statuses=[cs],
                                  conditions=[client.V1PodCondition(type="Ready", status=str(ready))]))


def test_pod_words_like_kubectl():
    assert kube.pod_status(_pod()) == "Running"
    assert kube.pod_status(_pod(waiting="CrashLoopBackOff", ready=False)) == "CrashLoopBackOff"
    assert kube.pod_status(_pod(phase="Pending", waiting="ContainerCreating", ready=False)) == "ContainerCreating"
    assert kube.pod_status(_pod(phase="Failed", terminated="Error", ready=False)) == "Error"
    assert kube.pod_status(_pod(deleting=True)) == "Terminating"
    assert kube.pod_ready(_pod()) and not kube.pod_ready(_pod(ready=False))
    assert kube.restarts(_pod()) == 2
    row = kube.pod_rows([_pod()])[0]
    assert row["ready"] == "1/1" and row["node"] == "w1" and row["restarts"] == 2


def test_board_columns_keep_empty_nodes_and_unscheduled_last():
    cols = columns({"a": ("w1", "Running"), "b": ("", "Pending")}, ["cp", "w1", "w2"])
    assert list(cols) == ["cp", "w1", "w2", UNSCHEDULED]
    assert cols["w1"] == [("a", "Running")] and cols["w2"] == []
    html = render(cols, ["12:00:00  a  new → Running"], "ns")
    assert "pods by node" in html and "a  new → Running" in html


def test_picture_puts_the_control_plane_first():
    boxes = order([NodeBox("w2", "<none>", "v1", "c"), NodeBox("cp", "control-plane", "v1", "c",
                   pods=[("ns", "x", ""), ("kube-system", "kube-apiserver-cp", "kube-apiserver")]),
                   NodeBox("w1", "<none>", "v1", "c")])
    assert [b.name for b in boxes] == ["cp", "w1", "w2"]
    assert boxes[0].pods[0][2] == "kube-apiserver"


def test_selectors_equality_and_set_based():
    a = {"env": "dev", "tier": "frontend"}
    d = {"env": "prod"}
    assert kube.selector_matches("env=dev", a) and not kube.selector_matches("env=dev", d)
    assert kube.selector_matches("tier!=frontend", d) and not kube.selector_matches("tier!=frontend", a)
    assert kube.selector_matches("env in (dev, test)", a) and not kube.selector_matches("env in (dev,test)", d)
    assert kube.selector_matches("env notin (prod)", a) and not kube.selector_matches("env notin (prod)", d)
    assert kube.selector_matches("tier", a) and kube.selector_matches("!tier", d)
    assert kube.selector_matches("tier=frontend,env in (dev,prod)", a)
    assert not kube.selector_matches("tier=frontend,env in (test,prod)", a)
    assert kube.split_selector("a in (x,y),b") == ["a in (x,y)", "b"]


def test_picture_draws(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    from dockyard.kube.picture import draw
    boxes = order([NodeBox("cp", "control-plane", "v1.34.4", "containerd://1.6",
                           pods=[("kube-system", "etcd-cp", "etcd")]),
                   NodeBox("w1", "<none>", "v1.34.4", "containerd://1.6", pods=[("ns", "web-1", "")])])
    fig = draw(boxes, "test", highlight_namespace="ns")
    fig.savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_flags_of_a_control_plane_command():
    flags = kube.parse_flags(["kube-apiserver", "--etcd-servers=https://127.0.0.1:2379", "--v", "2",
                              "--allow-privileged"])
    assert flags == {"etcd-servers": "https://127.0.0.1:2379", "v": "2", "allow-privileged": "true"}


def test_image_refs_spelled_like_containerd():
    assert kube.full_image_ref("busybox:1.35") == "docker.io/library/busybox:1.35"
    assert kube.full_image_ref("dockyard/busybox:1.35") == "docker.io/dockyard/busybox:1.35"
    assert kube.full_image_ref("docker.io/dockyard/busybox:1.35") == "docker.io/dockyard/busybox:1.35"
    assert kube.full_image_ref("registry.k8s.io/coredns/coredns:v1.12.1") == "registry.k8s.io/coredns/coredns:v1.12.1"
    assert kube.full_image_ref("localhost:5000/app:1") == "localhost:5000/app:1"
    assert kube.full_image_ref("localhost/app") == "localhost/app:latest"
    assert kube.full_image_ref("nginx") == "docker.io/library/nginx:latest"
    digest = "docker.io/library/import-2026-11-28@sha256:" + "0" * 64
    assert kube.full_image_ref(digest) == digest


def _node(name, *names):
    return client.V1Node(metadata=client.V1ObjectMeta(name=name), status=client.V1NodeStatus(
        images=[client.V1ContainerImage(names=list(n), size_bytes=1) for n in names] or None))


def test_which_nodes_list_an_image_in_their_status():
    ref = image("busybox").ref
    nodes = [_node("w1", ["docker.io/library/import-x@sha256:" + "1" * 64, f"docker.io/{ref}"]),
             _node("w2", ["docker.io/dockyard/busybox:9.9"], [f"docker.io/x{ref}"]),   # other tag, other repo
             _node("cp")]                                                                # no images reported yet
    assert kube.node_lists_image(nodes[0], ref) and not kube.node_lists_image(nodes[1], ref)
    assert kube.nodes_missing_image(nodes, ref) == ["cp", "w2"]
    assert kube.nodes_missing_image(nodes[:1], f"docker.io/{ref}") == []


def _slice(*endpoints):
    return client.V1EndpointSlice(address_type="IPv4", metadata=client.V1ObjectMeta(name="s"), endpoints=[
        client.V1Endpoint(addresses=[ip], conditions=client.V1EndpointConditions(ready=ready),
                          target_ref=client.V1ObjectReference(kind="Pod", name=pod) if pod else None)
        for pod, ip, ready in endpoints])


def test_ready_endpoints_counted_once_across_slices():
    a = _slice(("web-1", "10.0.0.1", True), ("web-2", "10.0.0.2", False), ("", "10.0.0.9", True))
    b = _slice(("web-1", "10.0.0.1", True), ("web-3", "10.0.0.3", True))
    assert kube.ready_endpoint_pods([a, b]) == {"web-1", "web-3", "10.0.0.9"}
    assert kube.ready_endpoint_pods([client.V1EndpointSlice(address_type="IPv4", endpoints=None)]) == set()


def test_wait_ready_endpoints_wants_count_and_pods_to_agree():
    with pytest.raises(ValueError):
        kube.wait_ready_endpoints(None, "ns", "web", 3, pods={"web-1"})


def _crashy(phase="Running", waiting=None, terminated=None, restarts=0, last_exit=None, policy="Always"):
    """A one-container pod in the given state (running unless waiting or terminated is given)."""
    state = client.V1ContainerState(
        waiting=client.V1ContainerStateWaiting(reason=waiting, message="back-off restarting") if waiting else None,
        terminated=client.V1ContainerStateTerminated(exit_code=terminated, reason="Error" if terminated else
                                                     "Completed") if terminated is not None else None,
        running=client.V1ContainerStateRunning() if waiting is None and terminated is None else None)
    last = client.V1ContainerState(terminated=client.V1ContainerStateTerminated(exit_code=last_exit)) \
        if last_exit is not None else None
    cs = client.V1ContainerStatus(name="app", image="i", image_id="", ready=False, restart_count=restarts,
                                  state=state, last_state=last)
    return client.V1Pod(metadata=client.V1ObjectMeta(name="p"),
                        spec=client.V1PodSpec(restart_policy=policy, containers=[client.V1Container(name="app")]),
                        status=client.V1PodStatus(phase=phase, container_statuses=[cs]))


def test_running_means_every_container_runs():
    assert kube.containers_running(_crashy())
    assert not kube.containers_running(_crashy(waiting="CrashLoopBackOff", restarts=3, last_exit=1))
    assert not kube.containers_running(_crashy(phase="Pending", waiting="ContainerCreating"))
    assert not kube.containers_running(_crashy(terminated=1, restarts=1))


def test_trouble_names_the_reason_of_a_crash_loop():
    assert kube.pod_trouble(_crashy()) is None
    assert kube.pod_trouble(_crashy(phase="Pending", waiting="ContainerCreating")) is None
    why, container = kube.pod_trouble(_crashy(waiting="CrashLoopBackOff", restarts=3, last_exit=1))
    assert container == "app" and "CrashLoopBackOff" in why and "exit code 1" in why and "3 times" in why
    why, _ = kube.pod_trouble(_crashy(terminated=1, restarts=1))   # ended, about to be started again
    assert "ended (exit code 1" in why and "restarted 1 time" in why
    why, _ = kube.pod_trouble(_crashy(phase="Pending", waiting="ErrImageNeverPull"))
    assert "ErrImageNeverPull" in why
    why, _ = kube.pod_trouble(_crashy(phase="Succeeded", terminated=0, policy="OnFailure"))
    assert "ended (exit code 0" in why
    # restartPolicy Never: a container that ended in a pod that still runs (another container) is no trouble
    assert kube.pod_trouble(_crashy(terminated=0, policy="Never")) is None


class _LogCore:
    """Answers read_namespaced_pod and read_namespaced_pod_log like the API would for one pod."""

    def __init__(self, pod, logs):
        self.pod, self.logs, self.asked = pod, logs, []

    def read_namespaced_pod(self, name, namespace, **kw):
        return self.pod

    def read_namespaced_pod_log(self, name, namespace, container=None, previous=False, **kw):
        self.asked.append((container, previous))
        return self.logs[previous]


def test_last_log_line_of_a_waiting_container_is_the_previous_attempt():
    core = _LogCore(_crashy(waiting="CrashLoopBackOff", restarts=2, last_exit=1),
                    {True: "starting\nGREETING is not set: giving up\n\n", False: ""})
    assert kube.last_log_line(core, "n", "p", "app") == "GREETING is not set: giving up"
    assert core.asked == [("app", True)]
    running = _LogCore(_crashy(), {False: "", True: "old"})
    assert kube.last_log_line(running, "n", "p") == "(the log is empty)"


def _web_pod(name, leaving=False):
    from datetime import datetime, timezone
    from kubernetes import client
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, deletion_timestamp=datetime.now(timezone.utc) if leaving else None),
        status=client.V1PodStatus(phase="Running", conditions=[client.V1PodCondition(type="Ready", status="True")]))


def test_wait_for_pods_waits_for_leaving_pods_unless_told_not_to(monkeypatch, capsys):
    """After a scale down from 5 to 3: 3 pods Ready, 2 Terminating in their preStop pause."""
    import dockyard.kube.pods as pods
    objects = {p.metadata.name: p for p in [_web_pod("a"), _web_pod("b"), _web_pod("c"),
                                            _web_pod("d", leaving=True), _web_pod("e", leaving=True)]}
    from types import SimpleNamespace
    core = SimpleNamespace(list_namespaced_pod=None)
    monkeypatch.setattr(pods, "watch_until", lambda list_call, predicate, *a, **k: predicate(objects))
    assert pods.wait_for_pods(core, "ns", "app=web", 3) is None          # still waiting for d and e to go
    found = pods.wait_for_pods(core, "ns", "app=web", 3, leaving_ok=True)
    assert [p.metadata.name for p in found] == ["a", "b", "c"]
    assert "d: Terminating" in capsys.readouterr().out                  # shown, not counted
    del objects["c"]
    assert pods.wait_for_pods(core, "ns", "app=web", 3, leaving_ok=True) is None   # 2 Ready are not 3
