"""`dockyard lab reset NAME`, for real: it removes what that lab made, and only that."""
import subprocess
import sys

import docker
import pytest

from dockyard import versions
from dockyard.images import image
from dockyard.labs.lab import lab_labels

pytestmark = pytest.mark.notebook  # live: a skip counts as a failure
DOCKYARD = [sys.executable, "-m", "dockyard.cli"]


def dockyard(*args):
    return subprocess.run([*DOCKYARD, *args], capture_output=True, text=True, timeout=120)


def test_reset_removes_the_labs_objects_and_nothing_else():
    client = docker.from_env()
    mine = client.containers.create(image("busybox").ref, ["true"], name="lab-reset-mine",
                                    labels=lab_labels("docker-basics"))
    volume = client.volumes.create("lab-reset-volume", labels=lab_labels("docker-basics"))
    other = client.containers.create(image("busybox").ref, ["true"], name="lab-reset-other",
                                     labels=lab_labels("registry"))
    try:
        first = dockyard("lab", "reset", "01-docker-basics")
        assert first.returncode == 0, first.stderr
        assert "✓ lab docker-basics reset: removed 2 object(s)" in first.stdout, first.stdout
        left = [c.name for c in client.containers.list(all=True, filters={
            "label": f"{versions.LAB_LABEL_KEY}=docker-basics"})]
        assert left == [] and not client.volumes.list(filters={"name": volume.name})
        assert client.containers.get(other.id).name == "lab-reset-other", "another lab's work is kept"

        again = dockyard("lab", "reset", "docker-basics")
        assert again.returncode == 0 and "nothing to reset" in again.stdout, again.stdout
    finally:
        for c in (mine, other):
            try:
                c.remove(force=True)
            except docker.errors.NotFound:
                pass


def test_an_unknown_lab_is_one_line():
    out = dockyard("lab", "reset", "no-such-lab")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("✗ there is no lab 'no-such-lab'"), out.stderr
