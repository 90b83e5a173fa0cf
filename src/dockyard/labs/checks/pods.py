"""Kubernetes checks: pods and their containers, Deployments, Services and their endpoints."""
from __future__ import annotations

import json
import time

from dockyard import kube
from dockyard.errors import DockyardError
from dockyard.labs.checks.words import _clip, command_advice, exit_words, plural, short_error
from dockyard.labs.lab import Verdict, missing, passed
from dockyard.waits import wait_until


_PULL_TROUBLE = {"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"}
_START_TROUBLE = {"CrashLoopBackOff", "CreateContainerError", "CreateContainerConfigError",
                  "RunContainerError", "StartError"}

# The uid of each pod a check found running, so a later check can tell it was not recreated.
_seen_pods: dict[tuple[str, str], str] = {}


def _read(call, *args):
    from kubernetes.client.rest import ApiException
    try:
        return call(*args)
    except ApiException as err:
        if err.status == 404:
            return None
        raise


def _spec_command(pod, container: str) -> list[str] | None:
    return next((c.command for c in (pod.spec.containers if pod.spec else None) or [] if c.name == container), None)


def ended_words(terminated, command: list[str] | None = None) -> str:
    """How a container ended: 'ended (exit code 0: its command finished)', 'could not start: …'."""
    if terminated is None:
        return "ended"
    reason, code = terminated.reason or "", terminated.exit_code
    if reason in ("StartError", "ContainerCannotRun") or (code == 128 and terminated.message):
        error = short_error(terminated.message)
        return f"could not start: {error}" + command_advice(command, error)
    if code == 0:
        return "ended (exit code 0: its command finished)"
    return f"failed ({exit_words(code)}{', ' + reason if reason and reason != 'Error' else ''})"


def container_trouble(pod, ending_is_fine: bool = False) -> str | None:
    """Why a pod's containers are not running as they should, in words; None while nothing is wrong.

    Looks at each container's state and restart count: an image that cannot be pulled, a container
    that could not start, one that ended and is started again (CrashLoopBackOff). With
    ending_is_fine (a pod meant to run once), a container that ended is no trouble by itself."""
    policy = pod.spec.restart_policy if pod.spec else None
    specs = {c.name: c for c in (pod.spec.containers if pod.spec else None) or []}
    for cs in (pod.status.container_statuses if pod.status else None) or []:
        state, last = cs.state, cs.last_state
        waiting = state.waiting if state else None
        spec = specs.get(cs.name)
        if waiting and waiting.reason in _PULL_TROUBLE:
            if spec is not None and spec.image_pull_policy == "Always":
                why = ("): image_pull_policy='Always' makes the node ask a registry even for an image it has; "
                       "the lab's image is already on the nodes, and 'IfNotPresent' uses it")
            else:
                why = f": {_clip(short_error(waiting.message), 160)})"
            return f"cannot get its image {cs.image} ({waiting.reason}{why}"
        ended_now = state.terminated if state else None
        ended = ended_now or (last.terminated if last else None)
        command = spec.command if spec is not None else None
        if cs.restart_count or (ended_now is not None and policy != "Never" and not ending_is_fine):
            advice = ("; a container that should keep running needs a command that does not end"
                      if ended is not None and ended.exit_code == 0 else "")
            count = f", {plural(cs.restart_count, 'restart')} so far" if cs.restart_count else ""
            return (f"keeps crashing: its container `{cs.name}` {ended_words(ended, command)}, and Kubernetes "
                    f"starts it again each time (restart policy {policy}{count}){advice}")
        if waiting and waiting.reason in _START_TROUBLE:
            error = short_error(waiting.message)
            return (f"cannot run: its container `{cs.name}` is {waiting.reason}: {error}"
                    + command_advice(command, error))
        if ended_now is not None and not ending_is_fine:
            return f"is not running: its container `{cs.name}` {ended_words(ended_now, command)}"
    return None


def running_and_ready(pod) -> bool:
    statuses = (pod.status.container_statuses if pod.status else None) or []
    return (pod.metadata.deletion_timestamp is None and bool(statuses) and pod.status.phase == "Running"
            and all(cs.state and cs.state.running and cs.ready and not cs.restart_count for cs in statuses))


def _running_for(pod) -> float:
    """Seconds since the last of the pod's containers started running."""
    starts = [cs.state.running.started_at for cs in pod.status.container_statuses or []
              if cs.state and cs.state.running and cs.state.running.started_at]
    if not starts:
        return 0.0
    return time.time() - max(s.timestamp() for s in starts)


def _wait_pod(core, namespace: str, name: str, decided, wait: float):
    """The pod once `decided(pod)` holds, or as it is when `wait` runs out (None if it is gone)."""
    pod = _read(core.read_namespaced_pod, name, namespace)
    if pod is None or decided(pod) or wait <= 0:
        return pod
    try:
        return kube.wait_for_pod(core, namespace, name, until=decided, timeout=wait, quiet=True)
    except DockyardError:
        return _read(core.read_namespaced_pod, name, namespace)


def pod_running(core, namespace: str, name: str, wait: float = 30, settle: float = 5) -> Verdict:
    """The pod runs: every container running and ready, none restarted (a fresh pod gets `wait`
    seconds). A container that ends at once can look Running for a moment, and the kubelet reports
    its end a few seconds later on a busy node (2 s was seen to be too short), so a pod that started
    less than `settle` seconds ago is looked at again after that."""
    def decided(pod):
        return running_and_ready(pod) or container_trouble(pod) is not None or \
            pod.status.phase in ("Succeeded", "Failed")
    pod = _wait_pod(core, namespace, name, decided, wait)
    if pod is None:
        return missing(f"no pod named `{name}` in namespace {namespace} yet")
    if running_and_ready(pod) and _running_for(pod) < settle:
        time.sleep(settle - _running_for(pod))
        pod = _wait_pod(core, namespace, name, decided, wait) or pod
    trouble = container_trouble(pod)
    if trouble:
        return missing(f"pod `{name}` {trouble}")
    if not running_and_ready(pod):
        return missing(f"pod `{name}` is {kube.pod_status(pod)}, not Running")
    _seen_pods[(namespace, name)] = pod.metadata.uid
    return passed()


def pod_kept(core, namespace: str, name: str) -> Verdict:
    """The pod is still the one `pod_running` found earlier in this session (same uid)."""
    pod = _read(core.read_namespaced_pod, name, namespace)
    if pod is None:
        return missing(f"no pod named `{name}` in namespace {namespace}: it was deleted")
    seen = _seen_pods.get((namespace, name))
    if seen and pod.metadata.uid != seen:
        return missing(f"pod `{name}` is not the pod checked before: it was deleted and created again (its uid "
                       "changed). A running pod's labels can be changed in place: patch its metadata")
    return passed()


def pod_phase(core, namespace: str, name: str, phase: str = "Running", wait: float = 30) -> Verdict:
    """The pod reaches `phase` (a fresh pod gets `wait` seconds). Missing, or stuck: say which."""
    pod = _read(core.read_namespaced_pod, name, namespace)
    if pod is None:
        return missing(f"no pod named `{name}` in namespace {namespace} yet")
    if pod.status.phase == phase:
        return passed()
    if pod.status.phase not in ("Succeeded", "Failed") and wait > 0:   # a finished pod will not change
        try:
            kube.wait_for_pod(core, namespace, name, until=phase, timeout=wait, quiet=True)
            return passed()
        except DockyardError:
            pod = core.read_namespaced_pod(name, namespace)
    return missing(f"pod `{name}` is {kube.pod_status(pod)}, not {phase}")


def pod_succeeded(core, namespace: str, name: str, wait: float = 30) -> Verdict:
    """A run-once pod ran to its end: phase Succeeded, never restarted."""
    def decided(pod):
        return pod.status.phase in ("Succeeded", "Failed") or \
            container_trouble(pod, ending_is_fine=True) is not None
    pod = _wait_pod(core, namespace, name, decided, wait)
    if pod is None:
        return missing(f"no pod named `{name}` in namespace {namespace} yet")
    policy = pod.spec.restart_policy
    restarted = sum(cs.restart_count for cs in pod.status.container_statuses or [])
    if pod.status.phase != "Succeeded" and (restarted or policy == "Always"):
        return missing(f"pod `{name}` does not stay finished: its restart policy is {policy}, so Kubernetes "
                       f"starts its container again each time it ends ({plural(restarted, 'restart')} so far). "
                       "Set restart_policy=\"Never\" in the pod's spec (not in the container)")
    if pod.status.phase == "Failed":
        ended = [(cs.name, cs.state.terminated) for cs in pod.status.container_statuses or []
                 if cs.state and cs.state.terminated]
        how = (f"its container `{ended[0][0]}` {ended_words(ended[0][1], _spec_command(pod, ended[0][0]))}"
               if ended else pod.status.message or "no reason given")
        return missing(f"pod `{name}` Failed: {how}")
    trouble = container_trouble(pod, ending_is_fine=True)
    if trouble:
        return missing(f"pod `{name}` {trouble}")
    if pod.status.phase != "Succeeded":
        return missing(f"pod `{name}` is {kube.pod_status(pod)}, not Succeeded")
    return passed()


def _labels_text(labels: dict | None) -> str:
    """`app=web, tier=backend`; the label a ReplicaSet adds to its pods is left out."""
    shown = {k: v for k, v in (labels or {}).items() if k != "pod-template-hash"}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or "no labels"


def pod_labels(core, namespace: str, name: str, wanted: dict) -> Verdict:
    pod = _read(core.read_namespaced_pod, name, namespace)
    if pod is None:
        return missing(f"no pod named `{name}` in namespace {namespace} yet")
    have = pod.metadata.labels or {}
    wrong = {k: v for k, v in wanted.items() if have.get(k) != v}
    if wrong:
        notes = pod.metadata.annotations or {}
        if all(notes.get(k) == v for k, v in wrong.items()):
            return missing(f"pod `{name}` has {_labels_text(wrong)} as annotations, not labels: selectors only "
                           "see metadata.labels")
        return missing(f"pod `{name}` lacks the labels {_labels_text(wrong)} (it has {_labels_text(have)})")
    return passed()


def pod_logs_contain(core, namespace: str, name: str, text: str) -> Verdict:
    pod = _read(core.read_namespaced_pod, name, namespace)
    if pod is None:
        return missing(f"no pod named `{name}` in namespace {namespace} yet")
    from kubernetes.client.rest import ApiException
    try:
        logs = core.read_namespaced_pod_log(name, namespace)
    except ApiException:
        return missing(f"pod `{name}` has no log yet ({kube.pod_status(pod)})")
    if text not in logs:
        shown = f"it printed {logs.strip()[-80:]!r}" if logs.strip() else "it printed nothing"
        return missing(f"the log of pod `{name}` does not contain {text!r} ({shown})")
    return passed()


def rolled_out(dep) -> bool:
    """Every replica updated and available, as `kubectl rollout status` waits for."""
    s, want = dep.status, dep.spec.replicas or 0
    return ((s.observed_generation or 0) >= dep.metadata.generation and (s.updated_replicas or 0) == want
            and (s.available_replicas or 0) == want and (s.replicas or 0) == want)


def _selector_text(match_labels: dict | None) -> str:
    return ",".join(f"{k}={v}" for k, v in (match_labels or {}).items())


def deployment_ready(apps, namespace: str, name: str, replicas: int, wait: float = 60,
                     core=None, labels: dict | None = None) -> Verdict:
    """The Deployment asks for `replicas` pods and has them all ready. With `core`, a pod that
    cannot run ends the wait at once and says why; with `labels`, its pods must carry them."""
    dep = _read(apps.read_namespaced_deployment, name, namespace)
    if dep is None:
        return missing(f"no deployment named `{name}` in namespace {namespace} yet")
    if dep.spec.replicas != replicas:
        return missing(f"deployment `{name}` asks for {plural(dep.spec.replicas or 0, 'replica')}, not {replicas}")
    selector = _selector_text(dep.spec.selector.match_labels)

    def settled():
        d = apps.read_namespaced_deployment(name, namespace)
        if rolled_out(d):
            return ("ok", d)
        if core is not None and selector:
            for pod in core.list_namespaced_pod(namespace, label_selector=selector).items:
                if pod.metadata.deletion_timestamp is not None:   # on its way out: ends as it should
                    continue
                trouble = container_trouble(pod)
                if trouble:
                    return ("trouble", f"pod `{pod.metadata.name}` of deployment `{name}` {trouble}")
        return None
    try:
        outcome, detail = wait_until(settled, timeout=wait, interval=1, what=f"deployment {name} to roll out")
    except DockyardError:
        ready = apps.read_namespaced_deployment(name, namespace).status.ready_replicas or 0
        return missing(f"deployment `{name}` has {ready} of {replicas} replicas ready")
    if outcome == "trouble":
        return missing(detail)
    if labels and core is not None:
        for pod in core.list_namespaced_pod(namespace, label_selector=selector).items:
            if pod.metadata.deletion_timestamp is not None:
                continue
            have = pod.metadata.labels or {}
            if any(have.get(k) != v for k, v in labels.items()):
                own = dep.metadata.labels or {}
                where = (f"; {_labels_text(labels)} is on the Deployment itself, but a pod gets only the labels "
                         "of spec.template.metadata.labels" if all(own.get(k) == v for k, v in labels.items())
                         else "")
                return missing(f"the pods of deployment `{name}` carry {_labels_text(have)}, without "
                               f"{_labels_text(labels)}{where}")
    return passed()


def service_selects(core, namespace: str, name: str, selector: dict, port: int) -> Verdict:
    svc = _read(core.read_namespaced_service, name, namespace)
    if svc is None:
        return missing(f"no service named `{name}` in namespace {namespace} yet")
    have = svc.spec.selector or {}
    if have != selector:
        if not have:
            return missing(f"service `{name}` has no selector, so it finds no pods: select {_labels_text(selector)}")
        count = len(core.list_namespaced_pod(namespace, label_selector=_selector_text(have)).items)
        matches = "matches no pod" if count == 0 else f"matches {plural(count, 'pod')}"
        return missing(f"service `{name}` selects {_labels_text(have)}, which {matches}: it should select "
                       f"{_labels_text(selector)}")
    ports = [p.port for p in svc.spec.ports or []]
    if port not in ports:
        return missing(f"service `{name}` listens on {ports}, not {port}")
    return passed()


def api_error_message(err) -> str:
    """The `message` of a Kubernetes Status the API server answered with, else its reason."""
    try:
        return json.loads(err.body)["message"]
    except (TypeError, ValueError, KeyError):
        return str(getattr(err, "reason", "") or err)


def service_reaches(core, namespace: str, name: str, port: int, contains: str = "", wait: float = 4) -> Verdict:
    """A request through the service (the API server's service proxy) reaches a pod and gets the page.

    This is what a Service is for: its port leads to a port its pods really listen on. Check the
    endpoints first (`service_endpoints`): then a refused request is the ports' fault."""
    from kubernetes.client.rest import ApiException
    last = [""]

    def fetch():
        try:
            return core.connect_get_namespaced_service_proxy_with_path(
                f"{name}:{port}", namespace, "", _request_timeout=5) or " "
        except ApiException as err:
            last[0] = api_error_message(err)
            return None
    try:
        body = wait_until(fetch, timeout=wait, interval=1, what=f"an answer through service {name}")
    except DockyardError:
        svc = core.read_namespaced_service(name, namespace)
        target = next((p.target_port for p in svc.spec.ports or [] if p.port == port), None)
        pods = core.list_namespaced_pod(namespace, label_selector=_selector_text(svc.spec.selector)).items
        listening = sorted({cp.container_port for pod in pods[:1] for c in pod.spec.containers
                            for cp in c.ports or []})
        listens = f" (they declare {', '.join(map(str, listening))})" if listening else ""
        return missing(f"nothing answers through service `{name}`: it forwards port {port} to port {target} of "
                       f"its pods, and nothing listens there{listens}: set target_port to the port the app "
                       f"listens on ({_clip(last[0], 140)})")
    if contains and contains not in str(body):
        return missing(f"service `{name}` answered, but without {contains!r}")
    return passed()


def _slices(discovery, namespace: str, service: str):
    return discovery.list_namespaced_endpoint_slice(
        namespace, label_selector=f"kubernetes.io/service-name={service}").items


def service_endpoints(discovery, namespace: str, service: str, count: int, wait: float = 30) -> Verdict:
    """The service has exactly `count` ready pods behind it (EndpointSlices catch up in a moment)."""
    try:
        kube.wait_ready_endpoints(discovery, namespace, service, count, timeout=wait, quiet=True)
        return passed()
    except DockyardError:   # the watch ran out of time: say what there is instead
        found = len(kube.ready_endpoint_pods(_slices(discovery, namespace, service)))
        return missing(f"service `{service}` has {found} ready pod(s) behind it, not {count}")


def pod_out_of_service(core, discovery, namespace: str, service: str, selector: str, wait: float = 15) -> Verdict:
    """Exactly one pod matches `selector`, and the service no longer sends it traffic."""
    pods = [p for p in core.list_namespaced_pod(namespace, label_selector=selector).items
            if p.metadata.deletion_timestamp is None]
    if not pods:
        return missing(f"no pod carries {selector}: change that label on one of the service's pods (a deleted "
                       "pod is only replaced, and leaves nothing to look at)")
    if len(pods) != 1:
        return missing(f"{len(pods)} pods carry {selector}, not 1: relabel only one of the service's pods")
    name = pods[0].metadata.name
    try:
        kube.watch_until(discovery.list_namespaced_endpoint_slice,
                         lambda slices: name not in kube.ready_endpoint_pods(slices.values()),
                         namespace, timeout=wait, what=f"{name} to leave service {service}",
                         label_selector=f"kubernetes.io/service-name={service}")
        return passed()
    except DockyardError:
        return missing(f"pod `{name}` is still behind service `{service}`")
