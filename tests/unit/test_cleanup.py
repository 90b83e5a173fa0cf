from dockyard import versions
from dockyard.cleanup import images_to_remove, label_filter
from dockyard.notebook import labels


def test_label_filter():
    assert label_filter(None) == versions.LABEL_KEY
    assert label_filter("w1") == f"{versions.LABEL_KEY}=w1"


def test_notebook_labels_use_the_one_key():
    assert labels("w1") == {versions.LABEL_KEY: "w1"}
    assert labels("w1", role="x") == {versions.LABEL_KEY: "w1", "role": "x"}


def test_catalog_images_are_kept_unless_everything():
    images = [("sha256:" + "a" * 64, ["dockyard/python:3.11"]),
              ("sha256:" + "b" * 64, ["t1-app:v1"]),
              ("sha256:" + "c" * 64, [])]
    keep = {"dockyard/python:3.11"}
    names = [f.name for f in images_to_remove(images, keep, everything=False)]
    assert names == ["t1-app:v1", "<untagged cccccccccccc>"]
    assert len(images_to_remove(images, keep, everything=True)) == 3


def test_kind_nodes_belong_to_cluster_down_not_clean():
    from dockyard.cleanup import is_kit_container
    assert is_kit_container({"io.x-k8s.kind.cluster": "dockyard", versions.LABEL_KEY: "dockyard"})
    assert not is_kit_container({versions.LABEL_KEY: "dockyard"})


def test_refs_compare_in_the_engines_short_form():
    from dockyard.cleanup import short_ref
    keep = {short_ref("docker.io/kindest/local-path-helper:v1")}
    images = [("sha256:" + "d" * 64, ["kindest/local-path-helper:v1"])]
    assert images_to_remove(images, keep, everything=False) == []
