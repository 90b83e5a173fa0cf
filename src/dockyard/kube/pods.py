"""Pods: their status in words, what keeps one from running, and waits that say why."""
from __future__ import annotations

import time

from dockyard.errors import DockyardError, WaitTimedOut
from dockyard.kube.watch import watch_until


def pod_status(pod) -> str:
    """One word for a pod, the way `kubectl get pods` shows it (CrashLoopBackOff, Terminating…)."""
    if pod.metadata.deletion_timestamp is not None:
        return "Terminating"
    status = pod.status
    if status is None:
        return "Pending"
    reason = status.reason or status.phase or "Pending"
    for cs in (status.init_container_statuses or []):
        state = cs.state
        if state and state.terminated and state.terminated.exit_code == 0:
            continue
        if state and state.waiting and state.waiting.reason and state.waiting.reason != "PodInitializing":
            return f"Init:{state.waiting.reason}"
        return "Init"
    running = False
    # kubectl walks the containers from the last one, so the first container's word wins.
    for cs in reversed(status.container_statuses or []):
        state = cs.state
        if state is None:
            continue
        if state.waiting and state.waiting.reason:
            reason = state.waiting.reason
        elif state.terminated and state.terminated.reason:
            reason = state.terminated.reason
        elif state.terminated:
            reason = f"ExitCode:{state.terminated.exit_code}"
        elif state.running and cs.ready:
            running = True
    if reason == "Completed" and running:
        reason = "Running"
    return reason


def pod_ready(pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or [])) \
        if pod.status else False


def restarts(pod) -> int:
    return sum(cs.restart_count for cs in (pod.status.container_statuses or [])) if pod.status else 0


def pod_events(core, namespace: str, name: str, limit: int = 8) -> list[str]:
    """The pod's most recent events, as `kubectl describe pod` lists them."""
    items = core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}",
                                       _request_timeout=10).items
    def when(e):
        return e.last_timestamp or e.event_time or e.metadata.creation_timestamp
    items = sorted(items, key=lambda e: str(when(e)))
    return [f"{e.type} {e.reason}: {e.message}" for e in items][-limit:]


# A container waiting for one of these reasons does not get to run by itself.
_STUCK_REASONS = {"CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
                  "CreateContainerError", "CreateContainerConfigError", "RunContainerError", "StartError"}


def containers_running(pod) -> bool:
    """Phase Running, not being deleted, and every container in state running (none waiting or ended)."""
    status = pod.status
    statuses = (status.container_statuses if status else None) or []
    return (pod.metadata.deletion_timestamp is None and status is not None and status.phase == "Running"
            and bool(statuses) and all(cs.state and cs.state.running for cs in statuses))


def pod_trouble(pod) -> tuple[str, str | None] | None:
    """Why a pod will not get to run steadily by itself, and the container whose log says more;
    None while nothing says so.

    The pod ended (phase Failed or Succeeded); a container waits in CrashLoopBackOff, or cannot get
    its image or start; a container ended and the restart policy starts it again (or did already).
    """
    status = pod.status
    if status is None:
        return None
    policy = pod.spec.restart_policy if pod.spec else None
    for cs in status.container_statuses or []:
        state, count = cs.state, cs.restart_count or 0
        restarted = f", restarted {count} time{'s' if count != 1 else ''}" if count else ""
        waiting = state.waiting if state else None
        ended = state.terminated if state else None
        last = cs.last_state.terminated if cs.last_state else None
        if waiting and waiting.reason in _STUCK_REASONS:
            why = f" (last exit code {last.exit_code})" if last is not None else \
                (f": {waiting.message}" if waiting.message else "")
            return f"container {cs.name} is {waiting.reason}{why}{restarted}", cs.name
        if ended is not None and (count or policy != "Never" or status.phase in ("Failed", "Succeeded")):
            return (f"container {cs.name} ended (exit code {ended.exit_code}"
                    f"{', ' + ended.reason if ended.reason else ''}){restarted}", cs.name)
    if status.phase in ("Failed", "Succeeded"):
        return f"the pod ended: phase {status.phase}" + (f" ({status.reason})" if status.reason else ""), None
    return None


def _ended_attempt(pod, container: str | None = None):
    """(container status, True when its log is that of an ended attempt: `kubectl logs --previous`)."""
    cs = next((c for c in (pod.status.container_statuses or []) if container in (None, c.name)), None)
    return cs, bool(cs and cs.restart_count and cs.state and cs.state.waiting)


def last_log_line(core, namespace: str, name: str, container: str | None = None) -> str:
    """The last line a pod's container printed: of the attempt that ended when it waits to restart."""
    cs, previous = _ended_attempt(core.read_namespaced_pod(name, namespace, _request_timeout=10), container)
    try:
        text = core.read_namespaced_pod_log(name, namespace, container=container or (cs.name if cs else None),
                                            previous=previous, tail_lines=20, _request_timeout=10)
    except Exception as err:   # no log yet (the image never started), or the node does not answer
        return f"(no log: {type(err).__name__})"
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "(the log is empty)"


def wait_for_pod(core, namespace: str, name: str, until="Running", timeout: float = 60,
                 quiet: bool = False, settle: float = 3):
    """Watch one pod until `until` holds; print each status change with its time; return the pod.

    `until` is a status word ("Running", "Succeeded", "CrashLoopBackOff"…), a set of them,
    "Ready", or a function of the pod. At the timeout, a DockyardError lists the pod's events.

    "Running" means every container runs and keeps running: each must have run `settle` seconds
    without a restart. A pod that will not get there by itself (a container in CrashLoopBackOff,
    one that ended and is restarted, the pod ended) is a DockyardError at once, naming the reason
    and the container's last log line.
    """
    steady = not callable(until) and "Running" in ({until} if isinstance(until, str) else set(until))
    if callable(until):
        test, wanted = until, "the condition"
    else:
        words = {until} if isinstance(until, str) else set(until)
        wanted = " or ".join(sorted(words))
        def test(pod):
            if "Ready" in words and pod_ready(pod):
                return True
            if steady and containers_running(pod):
                return True
            return (pod_status(pod) in words - {"Running"}
                    or bool(pod.status and pod.status.phase in words - {"Running"}))
    start = time.monotonic()
    deadline = start + timeout
    last = [None]
    trouble: list = []

    def show(pod):
        word = pod_status(pod) + (" (ready)" if pod_ready(pod) else "")
        if word != last[0] and not quiet:
            print(f"  {time.monotonic() - start:5.1f}s  {name}: {word}")
        last[0] = word

    def predicate(objects):
        pod = objects.get(name)
        if pod is None:
            return None
        show(pod)
        if test(pod):
            return pod
        if steady and pod_trouble(pod) is not None:
            trouble.append(pod_trouble(pod))
            return pod
        return None

    def stuck(found):
        why, container = found
        line = last_log_line(core, namespace, name, container) if container else "(no container ran)"
        previous = container is not None and _ended_attempt(
            core.read_namespaced_pod(name, namespace, _request_timeout=10), container)[1]
        logs = f"`kubectl logs {name} -n {namespace} -c {container}{' --previous' if previous else ''}`, " \
            if container else ""
        return DockyardError(f"pod {name} will not be {wanted}: {why}; its last log line: {line}",
                             f"{logs}`kubectl describe pod {name} -n {namespace}`")

    while True:
        try:
            pod = watch_until(core.list_namespaced_pod, predicate, namespace,
                              timeout=max(1.0, deadline - time.monotonic()),
                              what=f"pod {name} to be {wanted}", field_selector=f"metadata.name={name}")
        except WaitTimedOut:
            events = pod_events(core, namespace, name)
            shown = "; ".join(events) if events else "no events (was the pod created?)"
            raise WaitTimedOut(f"pod {name} was not {wanted} after {timeout:.0f}s (last: {last[0] or 'absent'}); "
                               f"its events: {shown}",
                               f"`kubectl describe pod {name} -n {namespace}`") from None
        if trouble:
            raise stuck(trouble[-1])
        if not (steady and containers_running(pod)) or settle <= 0:
            return pod
        # Running: look again once every container has run `settle` seconds (a container that
        # ends at once looks Running for a moment), and accept it if none ended or restarted.
        counts = {cs.name: cs.restart_count for cs in pod.status.container_statuses}
        started = [cs.state.running.started_at for cs in pod.status.container_statuses
                   if cs.state.running.started_at is not None]
        ran = min((time.time() - s.timestamp() for s in started), default=0.0)
        time.sleep(max(0.0, min(settle - ran, deadline - time.monotonic())))
        again = core.read_namespaced_pod(name, namespace, _request_timeout=10)
        show(again)
        if containers_running(again) and {cs.name: cs.restart_count
                                          for cs in again.status.container_statuses} == counts:
            return again
        found = pod_trouble(again)
        if found is not None:
            raise stuck(found)
        if time.monotonic() >= deadline:
            raise WaitTimedOut(f"pod {name} was not {wanted} after {timeout:.0f}s: its containers did not keep "
                               f"running for {settle:.0f}s (last: {last[0]})",
                               f"`kubectl describe pod {name} -n {namespace}`")


def wait_for_pods(core, namespace: str, label_selector: str, count: int, until="Ready",
                  timeout: float = 90, quiet: bool = False, leaving_ok: bool = False) -> list:
    """Watch the pods matching `label_selector` until exactly `count` of them are `until`
    (and none other is left); return them sorted by name.

    `leaving_ok`: pods already being deleted (Terminating, e.g. in a preStop pause after a scale
    down) may still be there; they are shown, not counted, and not waited for."""
    start = time.monotonic()
    seen: dict[str, str] = {}

    def good(pod):
        if pod.metadata.deletion_timestamp is not None:
            return False
        return pod_ready(pod) if until == "Ready" else pod_status(pod) == until

    def predicate(objects):
        for name, pod in objects.items():
            word = pod_status(pod) + (" (ready)" if pod_ready(pod) else "")
            if seen.get(name) != word and not quiet:
                print(f"  {time.monotonic() - start:5.1f}s  {name}: {word}")
            seen[name] = word
        for name in [n for n in seen if n not in objects]:
            if not quiet:
                print(f"  {time.monotonic() - start:5.1f}s  {name}: gone")
            seen.pop(name)
        pods = [p for p in objects.values() if good(p)]
        staying = [p for p in objects.values() if not (leaving_ok and p.metadata.deletion_timestamp is not None)]
        if len(pods) == count and len(staying) == count:
            return sorted(pods, key=lambda p: p.metadata.name)
        return None

    try:
        return watch_until(core.list_namespaced_pod, predicate, namespace, timeout=timeout,
                           what=f"{count} pods {label_selector} {until}", label_selector=label_selector)
    except WaitTimedOut:
        listing = core.list_namespaced_pod(namespace, label_selector=label_selector, _request_timeout=10).items
        stuck = [p for p in listing if not good(p)]
        events = pod_events(core, namespace, stuck[0].metadata.name) if stuck else []
        now = ", ".join(f"{p.metadata.name}={pod_status(p)}" for p in listing) or "none"
        raise WaitTimedOut(f"{label_selector}: wanted {count} pods {until} within {timeout:.0f}s; now: {now}"
                           + (f"; events of {stuck[0].metadata.name}: {'; '.join(events)}" if events else ""),
                           f"`kubectl get pods -n {namespace} -l {label_selector}` and `kubectl describe`") from None


def wait_for_rollout(apps, namespace: str, name: str, timeout: float = 120, quiet: bool = False):
    """Watch a Deployment until every replica is updated and available (`kubectl rollout status`)."""
    start = time.monotonic()
    last = [""]

    def predicate(objects):
        d = objects.get(name)
        if d is None:
            return None
        s = d.status
        want = d.spec.replicas or 0
        updated, avail, total = s.updated_replicas or 0, s.available_replicas or 0, s.replicas or 0
        line = f"{updated}/{want} updated, {avail} available, {total} total"
        if line != last[0] and not quiet:
            print(f"  {time.monotonic() - start:5.1f}s  deployment/{name}: {line}")
        last[0] = line
        done = ((s.observed_generation or 0) >= d.metadata.generation and updated == want
                and avail == want and total == want)
        return d if done else None

    try:
        return watch_until(apps.list_namespaced_deployment, predicate, namespace, timeout=timeout,
                           what=f"deployment {name} to roll out", field_selector=f"metadata.name={name}")
    except WaitTimedOut as timed_out:   # the last counts say where it stuck
        raise WaitTimedOut(f"{timed_out.what} (last: {last[0] or 'no deployment'})",
                           f"`kubectl rollout status deployment/{name} -n {namespace}`") from None
