"""Pins of the online way, their overrides for tests, and the NodePort host offset. No engine."""
import re

import pytest

from dockyard import settings, versions
from dockyard.cluster import config
from dockyard.cluster.ways import short_ref
from dockyard.errors import DockyardError
from dockyard.images import catalog
from dockyard.images.build import split_pinned

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
OTHER = "example/debian:stand-in@sha256:" + "ab" * 32


def upstream_refs() -> dict[str, str]:
    refs = {name: value for name, value in vars(versions).items() if name.endswith("_IMAGE")}
    refs |= {f"catalog {e.key}": e.upstream for e in catalog.CATALOG.values() if e.upstream}
    return refs


def test_every_upstream_reference_is_pinned_by_digest():
    refs = upstream_refs()
    assert {"DEBIAN_SLIM_IMAGE", "KIND_NODE_IMAGE", "catalog base"} <= set(refs)
    for name, ref in refs.items():
        assert DIGEST.search(ref), f"{name} = {ref} is not pinned by @sha256:<64 hex>"


def test_every_kind_checksum_is_64_hex_for_each_published_platform():
    assert set(versions.KIND_BINARY_SHA256) == {(o, a) for o in ("linux", "darwin") for a in ("amd64", "arm64")}
    for platform, sha in versions.KIND_BINARY_SHA256.items():
        assert HEX64.match(sha), platform


def test_only_the_base_comes_from_upstream():
    assert [e.key for e in catalog.CATALOG.values() if e.upstream] == ["base"]
    assert catalog.image("base").upstream == versions.DEBIAN_SLIM_IMAGE


def test_pins_match_the_suite_and_the_kubernetes_line():
    assert versions.DEBIAN_SLIM_IMAGE.startswith(f"debian:{versions.DEBIAN_SUITE}-slim@")
    node_tag = versions.KIND_NODE_IMAGE.split("@")[0].rsplit(":", 1)[1]
    minor = lambda v: v.lstrip("v").split(".")[:2]     # noqa: E731
    assert minor(node_tag) == minor(versions.KUBERNETES_VERSION)   # both 1.34, the last on cgroup v1


def test_without_overrides_the_pins_are_used():
    assert settings.debian_image({}) == versions.DEBIAN_SLIM_IMAGE
    assert settings.kind_node_image({}) == versions.KIND_NODE_IMAGE
    assert settings.debian_image({settings.DEBIAN_IMAGE: "  "}) == versions.DEBIAN_SLIM_IMAGE


@pytest.mark.parametrize("read, variable", [(settings.debian_image, settings.DEBIAN_IMAGE),
                                            (settings.kind_node_image, settings.KIND_NODE_IMAGE)])
def test_an_override_replaces_a_pin_only_with_a_digest(read, variable):
    assert read({variable: OTHER}) == OTHER
    for unpinned in ("example/debian:stand-in", "example/debian@sha256:abc", OTHER.upper()):
        with pytest.raises(DockyardError) as err:
            read({variable: unpinned})
        assert variable in err.value.what and "digest" in err.value.what
        assert "\n" not in str(err.value)


def test_the_override_names_itself_for_messages():
    assert settings.override_of(OTHER, {settings.DEBIAN_IMAGE: OTHER}) == settings.DEBIAN_IMAGE
    assert settings.override_of(versions.DEBIAN_SLIM_IMAGE, {}) == ""


def test_nodeport_host_offset():
    assert settings.nodeport_host_offset({}) == 0
    assert settings.nodeport_host_offset({settings.NODEPORT_HOST_OFFSET: "100"}) == 100
    assert settings.nodeport_host_offset({settings.NODEPORT_HOST_OFFSET: "-30000"}) == -30000
    for bad in ("ten", "1.5", "40000", "-30080"):
        with pytest.raises(DockyardError) as err:
            settings.nodeport_host_offset({settings.NODEPORT_HOST_OFFSET: bad})
        assert settings.NODEPORT_HOST_OFFSET in err.value.what and "\n" not in str(err.value)


def test_the_offset_moves_only_the_host_side_of_each_mapping():
    text = config.render_cluster_config("second", [30080, 30081], host_offset=100)
    assert "containerPort: 30080" in text and "hostPort: 30180" in text
    assert "containerPort: 30081" in text and "hostPort: 30181" in text
    assert "hostPort: 30080" not in text


def test_the_offset_comes_from_the_environment(monkeypatch):
    yaml = pytest.importorskip("yaml")
    monkeypatch.setenv(settings.NODEPORT_HOST_OFFSET, "1000")
    mappings = yaml.safe_load(config.render_cluster_config())["nodes"][0]["extraPortMappings"]
    assert [m["containerPort"] for m in mappings] == config.nodeports()
    assert [m["hostPort"] for m in mappings] == [p + 1000 for p in config.nodeports()]
    monkeypatch.delenv(settings.NODEPORT_HOST_OFFSET)
    assert "hostPort: 30080" in config.render_cluster_config()


@pytest.mark.parametrize("ref, name", [
    ("debian:bookworm-slim@sha256:" + "a" * 64, "debian"),
    ("kindest/node:v1.34.0@sha256:" + "a" * 64, "kindest/node"),
    ("127.0.0.1:5000/debian:stand-in@sha256:" + "a" * 64, "127.0.0.1:5000/debian"),
    ("127.0.0.1:5000/debian@sha256:" + "a" * 64, "127.0.0.1:5000/debian"),
])
def test_a_pinned_reference_is_pulled_by_name_and_digest(ref, name):
    assert split_pinned(ref) == (name, "sha256:" + "a" * 64)


def test_short_ref_keeps_four_hex_of_the_digest():
    assert short_ref(versions.DEBIAN_SLIM_IMAGE) == "debian:bookworm-slim@sha256:3783…"
    assert short_ref("dockyard/debian:bookworm") == "dockyard/debian:bookworm"
