"""`cluster up` keeps what learners made: when it recreates, and what it says; a failed or
interrupted creation removes its half-made cluster. Fakes only: no engine, no kind."""
import subprocess
from pathlib import Path

import pytest

from dockyard import versions

from dockyard.cluster import ways
from dockyard.cluster import kind, node_image
from dockyard.display import Progress
from dockyard.errors import DockyardError

SYSTEM = {"kube-system": 9, "kube-public": 0, "kube-node-lease": 0, "default": 0, "local-path-storage": 1}


# -- the decision ------------------------------------------------------------------------

def test_no_cluster_is_created():
    assert kind.decide("absent", outdated=False).action == "create"
    assert kind.decide("absent", outdated=False, recreate=True).action == "create"


def test_an_existing_cluster_is_checked_before_anything_else():
    for state in ("running", "stopped"):
        for outdated in (False, True):
            assert kind.decide(state, outdated).action == "check"


def test_an_outdated_healthy_cluster_is_kept_with_a_note():
    d = kind.decide("running", outdated=True, healthy=True)
    assert (d.action, d.newer_recipe) == ("keep", True)
    d = kind.decide("stopped", outdated=False, healthy=True)
    assert (d.action, d.newer_recipe) == ("keep", False)


def test_recreate_needs_consent_or_a_cluster_beyond_repair():
    assert kind.decide("running", outdated=False, recreate=True).action == "recreate"
    assert kind.decide("running", outdated=True, recreate=True).reason == "asked to with --recreate"
    unhealthy = kind.decide("stopped", outdated=False, healthy=False)
    assert unhealthy.action == "recreate" and "healthy" in unhealthy.reason
    broken = kind.decide("broken", outdated=False)
    assert broken.action == "recreate" and "cannot be repaired" in broken.reason
    assert kind.decide("running", outdated=True, healthy=True).action != "recreate"


# -- what is lost ------------------------------------------------------------------------

def test_learner_namespaces_leave_out_the_system_ones():
    pods = SYSTEM | {"lab-pods": 3, "nb-12-pods": 0}
    assert kind.learner_workloads(pods) == {"lab-pods": 3, "nb-12-pods": 0}
    assert kind.learner_workloads(SYSTEM | {"default": 2}) == {"default": 2}   # pods there go too


def test_loss_is_counted_and_named():
    text = kind.describe_loss(SYSTEM | {"lab-pods": 3, "nb-12-pods": 1})
    assert text == "2 namespaces of workloads: lab-pods (3 pods), nb-12-pods (1 pod)"
    assert kind.describe_loss(SYSTEM) == "no learner namespaces (only the system ones exist)"
    assert "could not be listed" in kind.describe_loss(None)
    many = kind.describe_loss({f"ns{i}": 1 for i in range(8)}, show=5)
    assert many.startswith("8 namespaces") and "and 3 more" in many and "ns5" not in many


def test_outdated_note_is_one_line_with_the_command():
    note = kind.outdated_note("dockyard/kind-node:v1-old", "dockyard/kind-node:v1-new", SYSTEM | {"lab-pods": 2})
    assert "\n" not in note
    assert "newer node recipe exists" in note and "`dockyard cluster up --recreate`" in note
    assert "losing 1 namespace of workloads: lab-pods (2 pods)" in note


# -- cluster_up's wiring, every outside effect faked ---------------------------------------

class Fakes:
    def __init__(self, monkeypatch, tmp_path, kind_state="running", image="new", healthy=True,
                 pods=None):
        self.calls = []
        monkeypatch.setenv("DOCKYARD_TIMINGS", str(tmp_path / "timings.json"))
        monkeypatch.delenv(versions.KUBE_CONTEXT_ENV, raising=False)
        monkeypatch.setattr(ways, "_settled", ways.Way(ways.FROM_SOURCE, "as decided by the test"))
        monkeypatch.setattr(kind, "connect", lambda: object())
        monkeypatch.setattr(kind, "raise_inotify_limit", lambda: None)
        monkeypatch.setattr(node_image, "ensure_node_image", lambda client, progress: "new")
        monkeypatch.setattr(kind, "state", lambda client, name: kind.State(kind_state, [], image))
        monkeypatch.setattr(kind, "revive", lambda *a: self.calls.append("revive") or healthy)
        monkeypatch.setattr(kind, "delete", lambda name, progress=None: self.calls.append("delete"))
        monkeypatch.setattr(kind, "create", lambda client, tag, progress, name: self.calls.append(f"create {tag}"))
        monkeypatch.setattr(kind, "pods_by_namespace", lambda: pods if pods is not None else SYSTEM)


def test_an_outdated_healthy_cluster_is_kept(monkeypatch, tmp_path, capsys):
    fakes = Fakes(monkeypatch, tmp_path, image="old", pods=SYSTEM | {"lab-pods": 2})
    assert kind.cluster_up() == versions.KUBE_CONTEXT
    assert fakes.calls == ["revive"]
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "--recreate" in notes[0] and "lab-pods (2 pods)" in notes[0]


def test_a_current_healthy_cluster_is_kept_quietly(monkeypatch, tmp_path, capsys):
    fakes = Fakes(monkeypatch, tmp_path)
    kind.cluster_up()
    assert fakes.calls == ["revive"]
    assert "note:" not in capsys.readouterr().out


def test_recreate_says_what_is_lost_before_deleting(monkeypatch, tmp_path, capsys):
    fakes = Fakes(monkeypatch, tmp_path, image="old", pods=SYSTEM | {"lab-pods": 2})
    monkeypatch.setattr(kind, "delete", lambda name, progress=None: fakes.calls.append(
        "delete after: " + capsys.readouterr().out))
    kind.cluster_up(recreate=True)
    assert fakes.calls[0].startswith("delete after: ") and "losing 1 namespace of workloads" in fakes.calls[0]
    assert fakes.calls[1:] == ["create new"]


def test_an_unrepairable_cluster_is_recreated_saying_so(monkeypatch, tmp_path, capsys):
    fakes = Fakes(monkeypatch, tmp_path, kind_state="stopped", healthy=False, pods=None)
    monkeypatch.setattr(kind, "pods_by_namespace", lambda: None)   # its API does not answer
    kind.cluster_up()
    assert fakes.calls == ["revive", "delete", "create new"]
    assert "could not be listed" in capsys.readouterr().out


def test_no_cluster_is_just_created(monkeypatch, tmp_path):
    fakes = Fakes(monkeypatch, tmp_path, kind_state="absent", image="")
    kind.cluster_up()
    assert fakes.calls == ["create new"]


# -- a creation that fails or is interrupted -----------------------------------------------

class FakeKind:
    """Stands in for `kind._run`: records each command, fails the ones it is told to."""

    def __init__(self, fail_on: dict | None = None):
        self.commands = []
        self.fail_on = fail_on or {}

    def __call__(self, cmd, progress=None):
        self.commands.append(" ".join(cmd[1:3]))
        failure = self.fail_on.get(cmd[1])
        if failure is not None:
            raise failure
        return subprocess.CompletedProcess(cmd, 0, "", "")


def make(monkeypatch, tmp_path, run, healthy=lambda progress: True, left=lambda name: []):
    monkeypatch.setenv("DOCKYARD_TIMINGS", str(tmp_path / "timings.json"))
    kind.make_cluster("kind", "node:1", Path("cluster.yaml"), Progress("test"), "demo", run=run, healthy=healthy,
                      left=left, removal_timeout=0.2)


def test_nodes_the_engine_made_after_the_delete_are_deleted_too(monkeypatch, tmp_path):
    run = FakeKind({"create": KeyboardInterrupt()})
    answers = iter([["demo-worker"], ["demo-control-plane"], []])
    with pytest.raises(DockyardError, match="interrupted; the half-made cluster was removed"):
        make(monkeypatch, tmp_path, run, left=lambda name: next(answers))
    assert run.commands == ["create cluster", "delete cluster", "delete cluster", "delete cluster"]


def test_a_node_still_there_after_the_delete_is_said(monkeypatch, tmp_path):
    run = FakeKind({"create": KeyboardInterrupt()})
    with pytest.raises(DockyardError) as err:
        make(monkeypatch, tmp_path, run, left=lambda name: ["demo-worker"])
    assert "removing the half-made cluster failed too (its node containers demo-worker are still there)" in err.value.what
    assert err.value.fix.startswith("run `dockyard cluster down`") and "\n" not in str(err.value)


def test_a_good_creation_deletes_nothing(monkeypatch, tmp_path):
    run = FakeKind()
    make(monkeypatch, tmp_path, run)
    assert run.commands == ["create cluster"]


def test_ctrl_c_during_creation_removes_the_half_made_cluster(monkeypatch, tmp_path):
    run = FakeKind({"create": KeyboardInterrupt()})
    with pytest.raises(DockyardError) as err:
        make(monkeypatch, tmp_path, run)
    assert run.commands == ["create cluster", "delete cluster"]
    assert "interrupted" in err.value.what and "half-made cluster was removed" in err.value.what
    assert "`dockyard cluster up`" in err.value.fix and "clean" not in str(err.value)
    assert "\n" not in str(err.value)


def test_ctrl_c_while_waiting_for_health_removes_it_too(monkeypatch, tmp_path):
    def interrupted(progress):
        raise KeyboardInterrupt
    run = FakeKind()
    with pytest.raises(DockyardError, match="interrupted; the half-made cluster was removed"):
        make(monkeypatch, tmp_path, run, healthy=interrupted)
    assert run.commands == ["create cluster", "delete cluster"]


def test_a_failed_creation_says_why_and_removes_it(monkeypatch, tmp_path):
    run = FakeKind({"create": DockyardError("`kind create cluster` failed: ERROR: kubeadm init failed")})
    with pytest.raises(DockyardError) as err:
        make(monkeypatch, tmp_path, run)
    assert run.commands == ["create cluster", "delete cluster"]
    assert "failed (`kind create cluster` failed: ERROR: kubeadm init failed)" in err.value.what
    assert err.value.what.endswith("the half-made cluster was removed")
    assert "dockyard cluster up" in err.value.fix and "\n" not in str(err.value)


def test_a_cluster_that_never_gets_healthy_is_removed(monkeypatch, tmp_path):
    run = FakeKind()
    with pytest.raises(DockyardError, match="did not become healthy"):
        make(monkeypatch, tmp_path, run, healthy=lambda progress: False)
    assert run.commands == ["create cluster", "delete cluster"]


def test_when_removing_fails_too_the_fix_is_cluster_down(monkeypatch, tmp_path):
    run = FakeKind({"create": OSError("disk full"), "delete": DockyardError("`kind delete cluster` failed: x")})
    with pytest.raises(DockyardError) as err:
        make(monkeypatch, tmp_path, run)
    assert "OSError: disk full" in err.value.what and "removing the half-made cluster failed too" in err.value.what
    assert err.value.fix.startswith("run `dockyard cluster down`")
    assert "\n" not in str(err.value)


def test_ctrl_c_stops_the_kind_process_before_anyone_cleans_up(tmp_path):
    """kind must be gone before `kind delete` runs, or the two race over the same containers."""
    import os
    import sys
    pid_file = tmp_path / "pid"
    child = (f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
             "print('up', flush=True); time.sleep(60)")

    class CtrlC:
        def line(self, text):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        kind._run([sys.executable, "-c", child], CtrlC())
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_only_nameless_unused_images_are_pruned_from_nodes():
    from dockyard.cluster.kind import nameless_images
    images = [{"id": "sha256:tagged", "repoTags": ["docker.io/dockyard/webapp:1"]},
              {"id": "sha256:old", "repoTags": [], "repoDigests": ["docker.io/library/import-2026-12-02@sha256:1"]},
              {"id": "sha256:in-use", "repoTags": []},
              {"id": "sha256:pause", "repoTags": [], "pinned": True}]
    assert [i["id"] for i in nameless_images(images, used={"sha256:in-use"})] == ["sha256:old"]


def test_an_imported_image_is_removed_under_the_names_containerd_keeps():
    from dockyard.cluster.kind import containerd_names
    image = {"id": "sha256:abc", "repoTags": [],
             "repoDigests": ["docker.io/library/import-2026-12-02@sha256:111"]}
    assert set(containerd_names(image)) == {"sha256:abc", "docker.io/library/import-2026-12-02@sha256:111",
                                            "import-2026-12-02@sha256:111"}
