"""Pure logic of the cluster: kind config, manifests, NodePorts, state decisions."""
import pytest

from dockyard import versions
from dockyard.cluster import config, kind


def test_cluster_config_has_three_nodes_and_loopback_ports():
    text = config.render_cluster_config("demo", [30080, 30081])
    assert "name: demo" in text
    assert text.count("role: control-plane") == 1
    assert text.count("role: worker") == 2
    assert text.count('listenAddress: "127.0.0.1"') == 2
    assert "hostPort: 30081" in text
    assert "@" not in text


def test_cluster_config_is_valid_yaml_when_pyyaml_is_there():
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(config.render_cluster_config())
    control = doc["nodes"][0]
    assert control["role"] == "control-plane"
    assert [m["hostPort"] for m in control["extraPortMappings"]] == config.nodeports()


def test_nodeports_come_from_versions_and_stay_in_range():
    ports = config.nodeports()
    assert ports[0] == versions.NODEPORT_FIRST and ports[-1] == versions.NODEPORT_LAST
    with pytest.raises(ValueError):
        config.nodeports(29999, 30001)


def test_fill_refuses_leftover_placeholders():
    assert config.fill("image: @IMAGE@", {"IMAGE": "a:1"}) == "image: a:1"
    with pytest.raises(ValueError):
        config.fill("image: @IMAGE@\nother: @OTHER@", {"IMAGE": "a:1"})
    # placeholders in comments do not count
    assert config.fill("# @NOTE@\nx: 1", {}) == "# @NOTE@\nx: 1"


def test_cni_manifest_is_templated_by_kind_and_names_our_image():
    text = config.render_manifest("default-cni.yaml", {"IMAGE": "docker.io/dockyard/podnet:9"})
    assert "would you kindly template this file" in text  # kind fills {{ .PodSubnet }} only then
    assert "{{ .PodSubnet }}" in text
    assert "image: docker.io/dockyard/podnet:9" in text


def test_storage_manifest_names_both_images():
    text = config.render_manifest("default-storage.yaml", {"PROVISIONER_IMAGE": "p:1", "HELPER_IMAGE": "h:1"})
    assert "image: p:1" in text and "image: h:1" in text
    assert "is-default-class" in text


def test_classify_cluster_states():
    assert kind.classify({}) == "absent"
    assert kind.classify({"a": "running", "b": "running", "c": "running"}) == "running"
    assert kind.classify({"a": "exited", "b": "running", "c": "exited"}) == "stopped"
    assert kind.classify({"a": "running"}) == "broken"


def test_control_plane_starts_first():
    names = ["dockyard-worker2", "dockyard-control-plane", "dockyard-worker"]
    assert kind.startup_order(names) == ["dockyard-control-plane", "dockyard-worker", "dockyard-worker2"]


def test_external_context_is_only_a_foreign_one():
    assert kind.external_context({}) is None
    assert kind.external_context({versions.KUBE_CONTEXT_ENV: versions.KUBE_CONTEXT}) is None
    assert kind.external_context({versions.KUBE_CONTEXT_ENV: "school"}) == "school"


def test_port_taken_is_one_clear_line():
    import socket
    from dockyard.errors import DockyardError
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(DockyardError) as err:
            kind.check_ports_free([port])
    assert f"127.0.0.1:{port} is taken" in str(err.value)
    assert "\n" not in str(err.value)


def test_cluster_commands_say_why_the_engine_cannot_be_reached(monkeypatch, tmp_path):
    from dockyard.errors import DockyardError
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    monkeypatch.delenv(versions.KUBE_CONTEXT_ENV, raising=False)
    with pytest.raises(DockyardError) as err:
        kind.cluster_down()
    assert f"no socket at {tmp_path}/docker.sock" in str(err.value)


def test_node_ip_from_kubeadm_flags_and_restart_order():
    flags = 'KUBELET_KUBEADM_ARGS="--node-ip=172.18.0.4 --node-labels= --pod-infra-container-image=x"\n'
    assert kind.parse_node_ip(flags) == "172.18.0.4"
    assert kind.parse_node_ip("nothing") == ""
    wanted = {"cp": "172.18.0.10", "w1": "172.18.0.9", "w2": "172.18.0.2"}
    assert kind.readdress_order(wanted) == ["w2", "w1", "cp"]  # numeric, not text, order


def test_moved_node_addresses_are_found():
    nodes = {"a": "172.18.0.2", "b": "172.18.0.3"}
    assert kind.address_mismatches(nodes, {"a": "172.18.0.2", "b": "172.18.0.3"}) == []
    assert kind.address_mismatches(nodes, {"a": "172.18.0.3", "b": "172.18.0.2"}) == ["a", "b"]
