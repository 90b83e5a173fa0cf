"""Picking a kube context: one clear line when the kubeconfig lacks it (no cluster needed)."""
import pytest

from dockyard import kube, versions
from dockyard.cluster import kind
from dockyard.errors import DockyardError

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: school
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: teacher
  user: {token: secret}
contexts:
- name: school
  context: {cluster: school, user: teacher}
current-context: school
"""


def use_kubeconfig(monkeypatch, path):
    # The client reads $KUBECONFIG once, at import: point its default at the file instead.
    from kubernetes.config import kube_config
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))


@pytest.fixture
def kubeconfig(monkeypatch, tmp_path):
    path = tmp_path / "config"
    path.write_text(KUBECONFIG)
    use_kubeconfig(monkeypatch, path)
    return path


def test_a_known_context_passes(kubeconfig):
    kube.require_context("school")
    kube.api_client("school").close()


def test_a_foreign_context_lists_the_known_ones_and_the_way_back(kubeconfig):
    with pytest.raises(DockyardError) as err:
        kube.require_context("elsewhere")
    assert "no kubeconfig context named 'elsewhere'" in str(err.value)
    assert "pick one of: school" in err.value.fix
    assert f"unset {versions.KUBE_CONTEXT_ENV}" in err.value.fix


def test_no_kubeconfig_says_so(monkeypatch, tmp_path):
    use_kubeconfig(monkeypatch, tmp_path / "none")
    with pytest.raises(DockyardError) as err:
        kube.require_context(versions.KUBE_CONTEXT)
    assert "No configuration found" in err.value.what
    assert "dockyard cluster up" in err.value.fix


def test_cluster_up_refuses_a_context_the_kubeconfig_lacks(kubeconfig, monkeypatch):
    monkeypatch.setenv(versions.KUBE_CONTEXT_ENV, "elsewhere")
    with pytest.raises(DockyardError) as err:
        kind.cluster_up()
    assert "'elsewhere'" in err.value.what and "school" in err.value.fix
