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
