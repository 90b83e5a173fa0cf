"""`dockyard clean`, `clean --all` and `lab reset` spare what a learner made by hand.

Docker copies image labels onto derived images and containers, so a learner's image built FROM a
catalog image, or a container run from one, carries whatever labels that image carries. The
learner's objects below are made exactly as a learner would, with no labels of ours; the kit's
are made as the notebooks and labs make them.
"""
import io
import os
import subprocess
import sys

import docker
import pytest

from dockyard import versions
from dockyard.images import image
from dockyard.labs.lab import lab_labels
from dockyard.lessons.notebook import labels
from dockyard.ops.cleanup import find

pytestmark = pytest.mark.notebook  # live: a skip counts as a failure
DOCKYARD = [sys.executable, "-m", "dockyard.cli"]
RUN = f"survive{os.getpid()}"
WORKSHOP = f"w-{RUN}"


def dockyard(*args):
    return subprocess.run([*DOCKYARD, *args], capture_output=True, text=True, timeout=300)


def build(client, dockerfile: str, tag: str, **kwargs):
    client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, **kwargs)
    return client.images.get(tag)


@pytest.fixture(scope="module")
def client():
    return docker.from_env()


@pytest.fixture()
def learners(client):
    """What a learner makes by hand: an image FROM busybox, containers, a volume of their own."""
    busybox, python = image("busybox").ref, image("python").ref
    made = {
        "image": build(client, f"FROM {busybox}\nRUN echo mine > /mine\n", f"{RUN}-learner:1"),
        "volume": client.volumes.create(f"{RUN}-learner-data"),
    }
    made["container"] = client.containers.create(python, ["sleep", "60"], name=f"{RUN}-learner-py")
    made["mounts"] = client.containers.create(busybox, ["true"], name=f"{RUN}-learner-mounts",
                                              volumes={made["volume"].name: {"bind": "/data"}})
    made["own"] = client.containers.create(made["image"].id, ["true"], name=f"{RUN}-learner-own")
    yield made
    for key in ("own", "mounts", "container"):
        made[key].remove(force=True)
    made["volume"].remove(force=True)
    client.images.remove(made["image"].id, force=True)


def kits(client, lab: str | None = None):
    """What a notebook (or a lab, with its labels) makes: a container, a volume, a network, an image
    built with the labels, a container of that image, and a learner's image FROM that image."""
    mine = lab_labels(lab, WORKSHOP) if lab else labels(WORKSHOP)
    suffix = f"{RUN}-{lab or 'nb'}"
    built = build(client, f"FROM {image('busybox').ref}\nRUN echo kit > /kit\n", f"{suffix}-kit:1", labels=mine)
    child = build(client, f"FROM {built.tags[0]}\nRUN echo child > /child\n", f"{suffix}-learners-child:1")
    return {
        "container": client.containers.create(image("busybox").ref, ["true"], name=f"{suffix}-c", labels=mine),
        "volume": client.volumes.create(f"{suffix}-v", labels=mine),
        "network": client.networks.create(f"{suffix}-n", labels=mine),
        "image": built,
        "image-run": client.containers.create(built.id, ["true"], name=f"{suffix}-run", labels=mine),
    }, child


def still_there(client, obj) -> bool:
    """Present, and for an image still tagged: an image a learner's image was built FROM keeps its
    layers (the learner's image needs them) and loses only its name."""
    try:
        obj.reload()
    except docker.errors.NotFound:
        return False
    return bool(obj.tags) if isinstance(obj, docker.models.images.Image) else True


def spares_learners_removes_ours(client, command: list[str], learners: dict, child, ours: dict) -> None:
    """Run `dockyard <command>`: every object of the learner's stays (and their image built FROM
    one of ours), every one of ours goes."""
    out = dockyard(*command)
    assert out.returncode == 0, out.stderr
    said = f"`dockyard {' '.join(command[:2])}`"
    for key, obj in {**learners, "image built FROM ours": child}.items():
        assert still_there(client, obj), f"{said} removed the learner's {key}"
    for key, obj in ours.items():
        assert not still_there(client, obj), f"{said} left the kit's {key}"


def test_clean_removes_the_kits_objects_and_spares_the_learners(client, learners):
    ours, child = kits(client)
    try:
        everything = {f.ident for f in find(client, everything=True)}
        for key, obj in learners.items():
            assert obj.id not in everything, f"`clean --all` would remove the learner's {key}"
        assert child.id not in everything, "`clean --all` would remove the learner's image FROM a kit image"

        spares_learners_removes_ours(client, ["clean", "--workshop", WORKSHOP], learners, child, ours)
    finally:
        client.images.remove(child.id, force=True)


def test_lab_reset_spares_the_learners_objects(client, learners):
    ours, child = kits(client, lab="docker-basics")
    try:
        spares_learners_removes_ours(client, ["lab", "reset", "docker-basics"], learners, child, ours)
    finally:
        client.images.remove(child.id, force=True)


def test_a_label_docker_copied_does_not_make_a_container_ours(client):
    """The hole itself: a container run from an image that carries our label inherits it."""
    labelled = build(client, f"FROM {image('busybox').ref}\n", f"{RUN}-labelled:1", labels=labels(WORKSHOP))
    by_hand = client.containers.create(labelled.id, ["true"], name=f"{RUN}-inherits")
    try:
        assert by_hand.labels.get(versions.LABEL_KEY) == WORKSHOP, "Docker copied the image's label"
        found = {f.ident for f in find(client, WORKSHOP)}
        assert labelled.id in found and by_hand.id in found, \
            "a container of an image we made goes with that image"
        learners_copy = build(client, f"FROM {labelled.id}\nENV LEARNER=1\n", f"{RUN}-copy:1")
        assert learners_copy.id not in {f.ident for f in find(client, WORKSHOP)}, \
            "an image FROM ours is the learner's, though it carries our label"
        client.images.remove(learners_copy.id, force=True)
    finally:
        by_hand.remove(force=True)
        client.images.remove(labelled.id, force=True)
