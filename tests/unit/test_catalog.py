from dockyard import versions
from dockyard.images import catalog
from dockyard.images.build import DOCKER_DIR, recipe_hash


def test_every_entry_knows_how_it_is_made():
    for entry in catalog.CATALOG.values():
        assert entry.how in {"mmdebstrap", "dockerfile"}
        if entry.how == "dockerfile":
            assert (DOCKER_DIR / entry.context / "Dockerfile").exists(), entry.key


def test_dockerfiles_take_the_base_image_as_an_argument():
    for entry in catalog.CATALOG.values():
        if entry.base:
            assert "ARG BASE_IMAGE" in (DOCKER_DIR / entry.context / "Dockerfile").read_text()


def test_bases_come_first_and_once():
    order = [e.key for e in catalog.build_order(["python", "busybox"])]
    assert order == ["base", "python", "busybox"]


def test_no_latest_tags():
    # kind treats :latest as "always pull", and a registry is not there to pull from
    assert all(e.tag != "latest" for e in catalog.CATALOG.values())


def test_unknown_image_names_the_known_ones():
    try:
        catalog.image("nope")
    except KeyError as exc:
        assert "python" in str(exc)


def test_recipe_changes_with_the_base():
    entry = catalog.image("python")
    assert recipe_hash(entry, "sha256:a") != recipe_hash(entry, "sha256:b")
    assert recipe_hash(entry, "sha256:a") == recipe_hash(entry, "sha256:a")


def test_base_suite_is_the_pinned_one():
    assert catalog.image("base").tag == versions.DEBIAN_SUITE
