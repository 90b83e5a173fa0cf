"""The node image's recipe hash: it moves with what reaches the image, never with our code's prose.

A moved hash means a new node image, and the next `cluster up` calls the cluster outdated.
"""
import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

from dockyard import versions
from dockyard.cluster import config, node_image
from dockyard.host import gobuild


def current() -> str:
    return node_image.recipe_hash(node_image.recipe_inputs())


def load_edited(module, tmp_path, monkeypatch):
    """A copy of `module` with its prose edited: docstrings, and a comment before every function."""
    source = Path(module.__file__).read_text()
    edited = source.replace('"""', '"""Reworded for the test. ', 1)           # the module docstring
    edited = re.sub(r'^(def \w+\(.*\n(?:.*\n)*?)(    """)', r'\1\2Also reworded. ', edited, flags=re.M)
    edited = re.sub(r"^def ", "# a comment that changes nothing\ndef ", edited, flags=re.M)
    assert edited != source and edited.count("Also reworded.") > 3
    path = tmp_path / Path(module.__file__).name
    path.write_text(edited)
    name = module.__name__ + "_edited"            # same package, so its relative imports work
    spec = importlib.util.spec_from_file_location(name, path)
    copy = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, copy)
    spec.loader.exec_module(copy)
    return copy


def test_comments_and_docstrings_of_node_image_do_not_move_the_hash(tmp_path, monkeypatch):
    edited = load_edited(node_image, tmp_path, monkeypatch)
    assert edited.recipe_inputs() == node_image.recipe_inputs()
    assert edited.node_image_ref() == node_image.node_image_ref()


def test_comments_and_docstrings_of_gobuild_do_not_move_the_hash(tmp_path, monkeypatch):
    before = current()
    edited = load_edited(gobuild, tmp_path, monkeypatch)
    monkeypatch.setattr(node_image, "gobuild", edited)
    assert current() == before


def test_the_recipe_reads_no_python_source():
    assert not [key for key in node_image.recipe_inputs() if ".py" in key]


def test_every_go_program_in_the_node_is_described_and_kind_is_not():
    assert node_image.node_go_programs() == ["coredns", "crictl", "etcd", "kubernetes", "local-path-provisioner"]
    keys = set(node_image.recipe_inputs())
    assert {"go kubernetes build", "go coredns main.go", "go etcd go.mod", "go crictl build"} <= keys
    assert "go kind build" not in keys          # kind runs on the host; its version is hashed as a fact


@pytest.mark.parametrize("name, value", [("PAUSE_VERSION", "3.99"), ("KUBERNETES_VERSION", "v1.34.99"),
                                         ("ETCD_VERSION", "v3.6.99"), ("PODNET_VERSION", "0.9.9")])
def test_a_pinned_version_moves_the_hash(monkeypatch, name, value):
    before = current()
    monkeypatch.setattr(versions, name, value)
    assert current() != before


def test_versions_the_node_does_not_use_leave_the_hash(monkeypatch):
    before = current()
    monkeypatch.setattr(versions, "SPARK_VERSION", "0.0.1")
    monkeypatch.setattr(versions, "NODEPORT_LAST", 30099)
    monkeypatch.setattr(versions, "GO_MIN_VERSION", (1, 99))   # a check, not an input
    assert current() == before


def copied_sources(tmp_path) -> tuple[Path, Path]:
    docker_dir, manifest_dir = tmp_path / "docker", tmp_path / "kind"
    shutil.copytree(node_image.DOCKER_DIR, docker_dir)
    shutil.copytree(config.MANIFEST_DIR, manifest_dir)
    return docker_dir, manifest_dir


@pytest.mark.parametrize("path", ["pause/pause.c", "podnet/podnet", "kind-node-base/files/usr/local/bin/entrypoint",
                                  "kind-node-base/files/etc/containerd/config.toml",
                                  "kind-node-base/files/etc/systemd/system/kubelet.service",
                                  "kind-node-base/Dockerfile", "kind-node/Dockerfile", "kube-component/Dockerfile"])
def test_a_file_copied_into_the_image_moves_the_hash(tmp_path, path):
    docker_dir, manifest_dir = copied_sources(tmp_path)
    before = node_image.recipe_hash(node_image.recipe_inputs(docker_dir, manifest_dir))
    assert before == current()                    # the copy hashes like the checkout
    with open(docker_dir / path, "a") as handle:
        handle.write("\n# changed\n")
    assert node_image.recipe_hash(node_image.recipe_inputs(docker_dir, manifest_dir)) != before


def test_manifests_baked_in_move_the_hash_and_the_cluster_config_does_not(tmp_path):
    docker_dir, manifest_dir = copied_sources(tmp_path)
    def hashed():
        return node_image.recipe_hash(node_image.recipe_inputs(docker_dir, manifest_dir))
    before = hashed()
    with open(manifest_dir / "cluster.yaml", "a") as handle:   # kind reads it at creation, not the image
        handle.write("# changed\n")
    assert hashed() == before
    with open(manifest_dir / "default-cni.yaml", "a") as handle:
        handle.write("# changed\n")
    assert hashed() != before


def test_an_executable_bit_moves_the_hash(tmp_path):
    docker_dir, manifest_dir = copied_sources(tmp_path)
    before = node_image.recipe_hash(node_image.recipe_inputs(docker_dir, manifest_dir))
    (docker_dir / "podnet/podnet").chmod(0o644)                 # COPY keeps the mode
    assert node_image.recipe_hash(node_image.recipe_inputs(docker_dir, manifest_dir)) != before


def test_files_of_other_images_leave_the_hash(tmp_path):
    docker_dir, manifest_dir = copied_sources(tmp_path)
    before = node_image.recipe_hash(node_image.recipe_inputs(docker_dir, manifest_dir))
    others = [f for f in docker_dir.iterdir() if f.name not in node_image.node_contexts()]
    assert "spark" in {f.name for f in others}
    for folder in others:
        (folder / "extra.txt").write_text("not in the node\n")
    assert node_image.recipe_hash(node_image.recipe_inputs(docker_dir, manifest_dir)) == before


def test_generated_content_and_build_flags_move_the_hash(monkeypatch):
    before = current()
    with monkeypatch.context() as m:
        m.setattr(node_image, "IMPORT_SCRIPT", node_image.IMPORT_SCRIPT + "sync\n")
        assert current() != before
    with monkeypatch.context() as m:
        m.setattr(node_image, "NODE_ENTRYPOINT", ['ENTRYPOINT ["/sbin/init"]'])
        assert current() != before
    with monkeypatch.context() as m:
        m.setattr(gobuild, "BUILD_DATE", "2030-01-01T00:00:00Z")         # in the kube ldflags
        assert current() != before
    with monkeypatch.context() as m:
        m.setitem(gobuild.GO_SETTINGS, "CGO_ENABLED", "1")
        assert current() != before
    with monkeypatch.context() as m:
        m.setattr(gobuild, "STRIP", "-s")
        assert current() != before
    with monkeypatch.context() as m:
        m.setattr(gobuild, "coredns_main_go", lambda plugins=(): "package main\n")
        assert current() != before
    with monkeypatch.context() as m:
        m.setattr(node_image, "COMPONENTS", node_image.COMPONENTS[1:])
        assert current() != before
    assert current() == before


def test_the_built_context_and_the_recipe_agree_on_the_kind_files(tmp_path):
    """What `_node_context` writes under /kind is what the recipe hashes (plus the tag itself)."""
    files = node_image.kind_files()
    assert set(files) == {"version", "manifests/default-cni.yaml", "manifests/default-storage.yaml"}
    assert files["version"] == versions.KUBERNETES_VERSION + "\n"
    assert node_image.component("podnet").ref in files["manifests/default-cni.yaml"]
