from dockyard import kube
from dockyard.host.identity import label_value, owner


def test_owner_is_a_label_value():
    assert label_value("Alice Smith@example.org") == "alice-smith-example-org"
    assert label_value("___") == "someone"
    assert len(label_value("x" * 100)) == 40


def test_owner_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("DOCKYARD_OWNER", "Bob")
    assert owner("any-context") == "bob"


def test_a_shared_clusters_namespaces_carry_the_owner(monkeypatch):
    monkeypatch.setenv("DOCKYARD_OWNER", "alice")
    monkeypatch.delenv("DOCKYARD_KUBE_CONTEXT", raising=False)
    assert kube.namespace_for("t1", "pods") == "t1-pods", "the kit's own cluster: one person, short names"
    monkeypatch.setenv("DOCKYARD_KUBE_CONTEXT", "classroom")
    assert kube.namespace_for("t1", "pods") == "alice-t1-pods"
    assert kube.namespace_for("t1", "pods", "given") == "given"
