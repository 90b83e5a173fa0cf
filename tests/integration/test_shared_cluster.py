"""Two learners on one cluster: their namespaces carry who made them, and one learner's `clean`
and `lab reset` never touch the other's. Identities come from DOCKYARD_OWNER here; on a shared
cluster the default is the kubeconfig user of the learner's context."""
import os
import subprocess
import sys
import uuid

import pytest
from kubernetes import client, config

from dockyard import kube, versions
from dockyard.errors import DockyardError

pytestmark = pytest.mark.cluster  # live: a skip counts as a failure
DOCKYARD = [sys.executable, "-m", "dockyard.cli"]
RUN = uuid.uuid4().hex[:6]
WORKSHOP = f"shared-{RUN}"


def as_learner(who: str, *args):
    env = dict(os.environ, DOCKYARD_OWNER=who)
    return subprocess.run([*DOCKYARD, *args], capture_output=True, text=True, timeout=180, env=env)


@pytest.fixture(scope="module")
def core():
    return client.CoreV1Api(config.new_client_from_config(context=kube.kube_context()))


def make(core, monkeypatch, who: str, name: str, lab: str | None = None):
    monkeypatch.setenv("DOCKYARD_OWNER", who)
    kube.fresh_namespace(core, name, WORKSHOP)
    if lab:
        core.patch_namespace(name, {"metadata": {"labels": {versions.LAB_LABEL_KEY: lab}}})


def only_the_callers_go(core, who: str, command: list[str], theirs: str, others: str) -> None:
    """`dockyard <command>` as `who` removes `theirs` and leaves the other learner's `others`."""
    out = as_learner(who, *command)
    assert out.returncode == 0, out.stderr
    assert phase(core, theirs) in ("Terminating", "gone"), f"{who}'s {command[0]} removed {theirs}"
    assert phase(core, others) == "Active", f"{who}'s {command[0]} left {others} alone"


def phase(core, name: str) -> str:
    try:
        return core.read_namespace(name).status.phase
    except client.ApiException as err:
        if err.status == 404:
            return "gone"
        raise


def test_one_learners_clean_spares_the_others_namespaces(core, monkeypatch):
    alice, bob = f"alice-{RUN}-ns", f"bob-{RUN}-ns"
    make(core, monkeypatch, "alice", alice)
    make(core, monkeypatch, "bob", bob)
    try:
        assert core.read_namespace(alice).metadata.labels[versions.OWNER_LABEL_KEY] == "alice"
        monkeypatch.setenv("DOCKYARD_OWNER", "bob")
        with pytest.raises(DockyardError, match="belongs to alice"):
            kube.fresh_namespace(core, alice, WORKSHOP)   # bob's rerun never deletes alice's namespace
        assert phase(core, alice) == "Active"

        only_the_callers_go(core, "alice", ["clean", "--workshop", WORKSHOP], alice, bob)
    finally:
        kube.delete_namespace(core, bob, timeout=0, quiet=True)
        kube.delete_namespace(core, alice, timeout=0, quiet=True)


def test_one_learners_lab_reset_spares_the_others(core, monkeypatch):
    alice, bob = f"alice-{RUN}-lab", f"bob-{RUN}-lab"
    make(core, monkeypatch, "alice", alice, lab="kubernetes-pods")
    make(core, monkeypatch, "bob", bob, lab="kubernetes-pods")
    try:
        only_the_callers_go(core, "bob", ["lab", "reset", "kubernetes-pods"], bob, alice)
    finally:
        kube.delete_namespace(core, alice, timeout=0, quiet=True)
        kube.delete_namespace(core, bob, timeout=0, quiet=True)
