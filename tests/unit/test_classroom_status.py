"""A learner's server that will not start is one line in `classroom status`: its container's
trouble, else its last warning event."""
from types import SimpleNamespace

from dockyard import kube
from dockyard.classroom import status


def pending_pod():
    return SimpleNamespace(metadata=SimpleNamespace(namespace="room-ada", name="jupyter-ada"),
                           spec=SimpleNamespace(restart_policy="Always"),
                           status=SimpleNamespace(phase="Pending", container_statuses=[], conditions=[]))


def test_the_last_warning_event_names_why(monkeypatch):
    events = ["Normal Scheduled: assigned", "Warning FailedScheduling: 0/3 nodes are available: 3 Insufficient memory.",
              "Normal Pulling: image"]
    monkeypatch.setattr(kube, "pod_events", lambda core, ns, name: events)
    assert status.why_not_ready(None, pending_pod()) == events[1]


def test_a_crashing_container_is_said_first(monkeypatch):
    pod = pending_pod()
    waiting = SimpleNamespace(reason="CrashLoopBackOff", message="")
    pod.status.container_statuses = [SimpleNamespace(
        name="notebook", restart_count=3, state=SimpleNamespace(waiting=waiting, terminated=None),
        last_state=SimpleNamespace(terminated=SimpleNamespace(exit_code=1)))]
    monkeypatch.setattr(kube, "pod_events", lambda *a: ["Warning BackOff: restarting"])
    assert status.why_not_ready(None, pod).startswith("container notebook is CrashLoopBackOff (last exit code 1)")


def test_nothing_to_say_while_it_starts(monkeypatch):
    monkeypatch.setattr(kube, "pod_events", lambda *a: ["Normal Pulling: image"])
    assert status.why_not_ready(None, pending_pod()) is None
