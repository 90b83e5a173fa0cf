"""The pure part of the checks of labs 8 (nodes) and 9 (make demo 1 your own): how a pod asks for a
node, what the scheduler said, what in a Deployment drops requests during a rollout, what the traffic
saw, and which image a node runs. Kubernetes objects are the client's own models, built by hand."""
from kubernetes import client as k8s

from dockyard.labs import checks as check
def pod(node_name=None, selector=None, fields=None, conditions=None, affinity=None):
    entries = [k8s.V1ManagedFieldsEntry(manager="python", operation="Update", fields_v1=fields or {})]
    return k8s.V1Pod(metadata=k8s.V1ObjectMeta(name="p", managed_fields=entries),
                     spec=k8s.V1PodSpec(node_name=node_name, node_selector=selector, affinity=affinity,
                                        containers=[k8s.V1Container(name="main")]),
                     status=k8s.V1PodStatus(conditions=conditions))


def node(name, labels=None, unschedulable=None):
    return k8s.V1Node(metadata=k8s.V1ObjectMeta(name=name, labels=labels or {}),
                      spec=k8s.V1NodeSpec(unschedulable=unschedulable))


# --- lab 8 ------------------------------------------------------------------------------------

def test_a_node_name_counts_as_asked_only_when_its_creator_wrote_it():
    bound = pod(node_name="w1", fields={"f:spec": {"f:containers": {}}})
    assert check.node_request(bound) is None, "the scheduler's binding is no request"
    named = pod(node_name="w1", fields={"f:spec": {"f:nodeName": {}}})
    assert check.node_request(named) == "nodeName w1"


def test_a_status_entry_naming_the_node_is_not_the_creator():
    p = pod(node_name="w1")
    p.metadata.managed_fields = [k8s.V1ManagedFieldsEntry(manager="kubelet", operation="Update", subresource="status",
                                                          fields_v1={"f:spec": {"f:nodeName": {}}})]
    assert check.node_request(p) is None


def test_a_node_selector_or_required_affinity_is_a_request():
    assert check.node_request(pod(selector={"disk": "ssd"})) == "nodeSelector disk=ssd"
    required = k8s.V1Affinity(node_affinity=k8s.V1NodeAffinity(
        required_during_scheduling_ignored_during_execution=k8s.V1NodeSelector(node_selector_terms=[])))
    assert check.node_request(pod(affinity=required)) == "a required node affinity"


def test_the_scheduler_reason_is_read_only_when_it_found_no_node():
    waiting = k8s.V1PodCondition(type="PodScheduled", status="False", reason="Unschedulable",
                                 message="0/3 nodes are available")
    assert check.scheduling_problem(pod(conditions=[waiting])) == "0/3 nodes are available"
    placed = k8s.V1PodCondition(type="PodScheduled", status="True")
    assert check.scheduling_problem(pod(conditions=[placed])) is None


def test_selector_words_name_the_label_the_lab_asked_for_when_the_key_differs():
    nodes = [node("w1", {"dockyard.workshop/disktype": "ssd"}), node("w2")]
    said = check.selector_words({"disktype": "ssd"}, nodes, label=("dockyard.workshop/disktype", "ssd"))
    assert said.startswith("no node carries disktype=ssd, which its nodeSelector asks for")
    assert "w1 carries dockyard.workshop/disktype=ssd" in said


def test_selector_words_say_when_every_matching_node_is_cordoned():
    nodes = [node("w1", {"d": "ssd"}, unschedulable=True), node("w2")]
    assert check.selector_words({"d": "ssd"}, nodes) == \
        "its nodeSelector d=ssd allows only w1, which is cordoned (SchedulingDisabled)"
    assert check.selector_words({"d": "ssd"}, [node("w1", {"d": "ssd"})]) == ""


# --- lab 9 ------------------------------------------------------------------------------------

def test_max_unavailable_rounds_a_percentage_down_and_defaults_to_a_quarter():
    assert check.resolve_max_unavailable(None, 4) == 1
    assert check.resolve_max_unavailable("25%", 3) == 0
    assert check.resolve_max_unavailable("50%", 4) == 2
    assert check.resolve_max_unavailable(0, 4) == 0
    assert check.resolve_max_unavailable(2, 4) == 2


def deployment(strategy_type="RollingUpdate", max_unavailable="25%", probe=True, prestop=True, replicas=4):
    container = k8s.V1Container(
        name="web",
        readiness_probe=k8s.V1Probe(http_get=k8s.V1HTTPGetAction(path="/healthz", port=8080)) if probe else None,
        lifecycle=k8s.V1Lifecycle(pre_stop=k8s.V1LifecycleHandler(
            _exec=k8s.V1ExecAction(command=["sleep", "3"]))) if prestop else None)
    rolling = (k8s.V1RollingUpdateDeployment(max_unavailable=max_unavailable, max_surge=1)
               if strategy_type == "RollingUpdate" else None)
    return k8s.V1Deployment(
        metadata=k8s.V1ObjectMeta(name="web"),
        spec=k8s.V1DeploymentSpec(replicas=replicas, selector=k8s.V1LabelSelector(match_labels={"app": "web"}),
                                  strategy=k8s.V1DeploymentStrategy(type=strategy_type, rolling_update=rolling),
                                  template=k8s.V1PodTemplateSpec(spec=k8s.V1PodSpec(containers=[container]))))


def test_a_safe_deployment_has_no_rollout_problem():
    assert check.rollout_problem(deployment(max_unavailable=0)) is None


def test_each_unsafe_setting_is_named():
    assert "may take 1 of its 4 pods away" in check.rollout_problem(deployment())
    assert "the default" in check.rollout_problem(deployment())
    assert "Recreate" in check.rollout_problem(deployment(strategy_type="Recreate"))
    assert "no readiness probe" in check.rollout_problem(deployment(max_unavailable=0, probe=False))
    assert "no preStop pause" in check.rollout_problem(deployment(max_unavailable=0, prestop=False))


def test_traffic_passes_with_the_old_page_then_the_new_and_no_failure():
    log = [("old", "")] * 15 + [("new", "")] * 15
    assert check.traffic_problem(log) is None


def test_traffic_counts_failures_and_names_the_first():
    log = [("old", "")] * 15 + [("failed", "Connection refused"), ("failed", "HTTP 502")] + [("new", "")] * 15
    assert check.traffic_problem(log) == "2 of 32 requests failed during the rollout (the first: Connection refused)"


def test_traffic_that_missed_the_rollout_says_so():
    assert "never saw the old page" in check.traffic_problem([("new", "")] * 30)
    assert "only 3 requests" in check.traffic_problem([("old", "")] * 3)
    assert "the last answer" in check.traffic_problem([("new", "")] * 15 + [("old", "")] * 15)


def test_traffic_records_pages_and_failures(monkeypatch):
    import urllib.error

    class Reply:
        def __init__(self, body):
            self.body = body

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return self.body

    answers = iter([Reply(b"<h1>Hello from a container!</h1>"), Reply(b"<h1>mine</h1>"),
                    urllib.error.URLError("Connection refused"), Reply(b"something else")])

    class Opener:
        def open(self, url, timeout):
            item = next(answers)
            if isinstance(item, Exception):
                raise item
            return item

    traffic = check.Traffic("http://127.0.0.1:1/", {"new": "mine", "old": "Hello from a container!"})
    got = [traffic._one(Opener()) for _ in range(4)]
    assert got == [("old", ""), ("new", ""), ("failed", "Connection refused"), ("other", "")]


def test_the_image_a_container_runs_is_found_by_the_digest_of_its_import():
    images = [{"id": "sha256:aaa", "repoTags": ["docker.io/library/my-webapp:1", "docker.io/dockyard/webapp:1"],
               "repoDigests": ["docker.io/library/import-2026-12-02@sha256:111"]},
              {"id": "sha256:bbb", "repoTags": ["docker.io/library/my-webapp:2"],
               "repoDigests": ["docker.io/library/import-2026-12-02@sha256:222"]}]
    assert check.running_image_id(images, "docker.io/library/import-2026-12-02@sha256:222") == "sha256:bbb"
    assert check.running_image_id(images, "sha256:aaa") == "sha256:aaa"
    assert check.running_image_id(images, "docker.io/library/other@sha256:333") is None
    assert check.image_id_on_node(images, "my-webapp:1") == "sha256:aaa"
    assert check.image_id_on_node(images, "my-webapp:3") is None
