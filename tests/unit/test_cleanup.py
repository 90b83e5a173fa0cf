from dockyard import versions
from dockyard.lessons.notebook import labels
from dockyard.ops.cleanup import images_to_remove, label_filter


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
    from dockyard.ops.cleanup import is_kit_container
    assert is_kit_container({"io.x-k8s.kind.cluster": "dockyard", versions.LABEL_KEY: "dockyard"})
    assert not is_kit_container({versions.LABEL_KEY: "dockyard"})


def test_refs_compare_in_the_engines_short_form():
    from dockyard.ops.cleanup import short_ref
    keep = {short_ref("docker.io/kindest/local-path-helper:v1")}
    images = [("sha256:" + "d" * 64, ["kindest/local-path-helper:v1"])]
    assert images_to_remove(images, keep, everything=False) == []


def test_a_label_is_ours_only_when_not_copied_from_the_source():
    from dockyard.labels import own_label
    key = versions.LABEL_KEY
    assert own_label({key: "w1"}, {}, key), "set at creation"
    assert own_label({key: "w1"}, {key: "dockyard"}, key), "another value than the image's"
    assert not own_label({key: "w1"}, {key: "w1"}, key), "copied from the image"
    assert not own_label({}, {key: "w1"}, key)


def test_label_only_build_steps_are_recognised():
    from dockyard.ops.cleanup import is_label_step
    assert is_label_step({"ContainerConfig": {"Cmd": ["/bin/sh", "-c", "#(nop) ", "LABEL dockyard.lab=x"]}})
    assert is_label_step({"ContainerConfig": {"Cmd": ["/bin/sh", "-c", "#(nop)  LABEL a=b"]}})
    assert not is_label_step({"ContainerConfig": {"Cmd": ["/bin/sh", "-c", "echo LABEL"]}})
    assert not is_label_step({"ContainerConfig": {"Cmd": ["/bin/sh", "-c", "#(nop)  CMD [\"sh\"]"]}})
    assert not is_label_step({})


def test_engine_times_read_with_nanoseconds():
    from dockyard.images.build import created_at
    assert created_at("2026-12-01T23:21:05.123456789Z") == 1796167265.123456
    assert created_at("2026-12-01T23:21:05Z") == 1796167265.0
    assert created_at("") == 0.0


def test_an_engine_gone_mid_cell_is_one_line():
    import requests
    from dockyard.lessons.notebook import lost_engine
    gone = requests.exceptions.ConnectionError(
        "('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))")
    line = lost_engine(gone)
    assert line and "dockyard engine up" in line and "from the top" in line
    assert lost_engine(ValueError("a bug of ours")) is None


def test_a_full_disk_during_a_build_names_the_disk_not_the_dockerfile(tmp_path):
    from dockyard.images.build import build_failed
    err = build_failed("x:1", tmp_path / "ctx", "write /big: no space left on device\n")
    assert "disk is full" in str(err) and "docker system df" in str(err) and "Dockerfile" not in str(err)
    by_log = build_failed("x:1", tmp_path / "ctx", "The command '/bin/sh -c dd' returned a non-zero code: 1",
                          ("dd: error writing '/big': No space left on device",))
    assert "disk is full" in str(by_log)
    other = build_failed("x:1", tmp_path / "ctx", "The command '/bin/sh -c false' returned a non-zero code: 1")
    assert "fix docker/ctx/Dockerfile" in str(other)


def test_a_catalog_image_that_still_carries_the_workshop_label_is_made_again():
    from types import SimpleNamespace
    from dockyard.images.build import RECIPE_LABEL, keeps
    from dockyard.images.catalog import image
    entry = image("python")
    old = SimpleNamespace(labels={RECIPE_LABEL: "r1", versions.LABEL_KEY: "dockyard"})
    new = SimpleNamespace(labels={RECIPE_LABEL: "r1"})
    assert not keeps(None, entry, old, "r1", online=False), "its containers would all look like the kit's"
    assert keeps(None, entry, new, "r1", online=False)
