"""Node image tag hashing and the Go wrapper modules."""
from pathlib import Path

import pytest

from dockyard import versions
from dockyard.cluster import node_image
from dockyard.errors import DockyardError
from dockyard.host import gobuild


def test_tag_encodes_version_and_recipe():
    one = node_image.recipe_hash({"version K": "1", "file a": "x"})
    assert one == node_image.recipe_hash({"file a": "x", "version K": "1"})   # stable, order-free
    assert one != node_image.recipe_hash({"version K": "2", "file a": "x"})   # a version change rebuilds
    assert one != node_image.recipe_hash({"version K": "1", "file a": "y"})   # a recipe change rebuilds
    assert one != node_image.recipe_hash({"version K": "1", "file a": "x", "file b": ""})
    tag = node_image.node_tag_for("v1.34.4", one)
    assert tag == f"dockyard/kind-node:v1.34.4-{one}"


def test_current_node_tag_is_computed_from_sources():
    tag = node_image.node_image_ref()
    assert tag.startswith(f"{node_image.NODE_REPOSITORY}:{versions.KUBERNETES_VERSION}-")
    assert tag == node_image.node_image_ref()


def test_component_tags_are_what_kubeadm_expects():
    refs = {c.ref for c in node_image.COMPONENTS}
    v = versions.KUBERNETES_VERSION
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"):
        assert f"registry.k8s.io/{name}:{v}" in refs
    assert f"registry.k8s.io/etcd:{versions.ETCD_IMAGE_TAG}" in refs
    assert f"registry.k8s.io/coredns/coredns:{versions.COREDNS_VERSION}" in refs
    assert f"registry.k8s.io/pause:{versions.PAUSE_VERSION}" in refs


def test_pause_tag_matches_containerd_sandbox_image():
    conf = (node_image.DOCKER_DIR / "kind-node-base/files/etc/containerd/config.toml").read_text()
    assert 'sandbox_image = "@PAUSE_IMAGE@"' in conf   # filled from the pause component at build
    dockerfile = (node_image.DOCKER_DIR / "kind-node-base/Dockerfile").read_text()
    assert "@PAUSE_IMAGE@" in dockerfile and "ARG PAUSE_IMAGE" in dockerfile


def test_kubernetes_wrapper_replaces_every_staging_module():
    mod = """module k8s.io/kubernetes
replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
\tgithub.com/x/y => github.com/x/y v1.0.0
)
"""
    staging = gobuild.staging_modules(mod)
    assert staging == ["k8s.io/api", "k8s.io/client-go"]
    text = gobuild.wrapper_go_mod("v1.34.4", staging)
    assert "require k8s.io/kubernetes v1.34.4" in text
    assert "\tk8s.io/api => k8s.io/api v0.34.4" in text
    assert "github.com/x/y" not in text


def test_simple_wrapper_requires_without_replaces():
    text = gobuild.simple_wrapper_go_mod("dockyard.local/etcd", {"go.etcd.io/etcd/server/v3": "v3.6.5"})
    assert text.startswith("module dockyard.local/etcd\n")
    assert "\tgo.etcd.io/etcd/server/v3 v3.6.5" in text
    assert "replace" not in text


def test_version_ldflags_stamp_both_packages():
    flags = gobuild.version_ldflags("v1.34.4")
    for pkg in gobuild.VERSION_PACKAGES:
        assert f"-X {pkg}.gitVersion=v1.34.4" in flags
        assert f"-X {pkg}.gitMinor=34" in flags


def test_missing_or_old_go_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(gobuild, "go_version", lambda: None)
    with pytest.raises(DockyardError, match="Go is not installed"):
        gobuild.check_go()
    monkeypatch.setattr(gobuild, "go_version", lambda: (1, 19))
    with pytest.raises(DockyardError, match="too old"):
        gobuild.check_go()


def test_small_disk_is_one_clear_line(tmp_path):
    with pytest.raises(DockyardError, match="GB free"):
        node_image.check_disk([str(tmp_path)], 10**6)


def test_coredns_wrapper_main_has_kubeadms_plugins():
    text = gobuild.coredns_main_go()
    assert text.startswith("// ") and "package main" in text and "coremain.Run()" in text
    # every plugin of kubeadm's default Corefile ("prometheus" lives in plugin/metrics)
    for plugin in ("errors", "health", "ready", "kubernetes", "metrics", "forward", "cache", "loop",
                   "reload", "loadbalance"):
        assert f'"github.com/coredns/coredns/plugin/{plugin}"' in text
    assert "plugin/trace" not in text and "plugin/route53" not in text
