"""What a lab's check cells look at, each answer a Verdict in plain words.

A wrong or missing answer is a falsy Verdict saying what to do next; these never raise for it.
Chain them with `and`: the first thing missing is what the learner is told.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from . import kube
from .errors import DockyardError
from .labkit import Verdict, missing, passed
from .versions import LAB_LABEL_KEY
from .waits import wait_until

# --- Docker ---------------------------------------------------------------------------------


def _container(client, name: str, hint: str = ""):
    """(the container, None), or (None, a Verdict saying there is no such container yet).

    Test the second with `is not None`: a Verdict of something missing is falsy."""
    import docker
    try:
        return client.containers.get(name), None
    except docker.errors.NotFound:
        return None, missing(f"no container named `{name}` yet" + (f" (hint: {hint})" if hint else ""))


def container_running(client, name: str, image: str | None = None, hint: str = "") -> Verdict:
    container, absent = _container(client, name, hint)
    if absent is not None:
        return absent
    if image and image not in container.image.tags:
        return missing(f"container `{name}` runs {container.image.tags or container.image.short_id}, "
                       f"not {image}: remove it (`.remove(force=True)`) and run it again from {image}")
    if container.status != "running":
        return missing(f"container `{name}` exists but is {container.status}: start it, or run it with "
                       "`detach=True` and a command that keeps running")
    return passed()


def container_exited(client, name: str, exit_code: int = 0, hint: str = "") -> Verdict:
    container, absent = _container(client, name, hint)
    if absent is not None:
        return absent
    if container.status == "running":
        return missing(f"container `{name}` is still running: give it a command that ends")
    code = container.attrs["State"]["ExitCode"]
    if container.status != "exited" or code != exit_code:
        return missing(f"container `{name}` is {container.status} with exit code {code}, not {exit_code}")
    return passed()


def container_logs_contain(client, name: str, text: str) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    logs = container.logs().decode(errors="replace")
    if text not in logs:
        shown = logs.strip()[-80:] or "nothing"
        return missing(f"the log of `{name}` does not contain {text!r} (it printed: {shown!r})")
    return passed()


def has_lab_label(obj_labels: dict | None, what: str, lab: str) -> Verdict:
    """What the learner makes carries the lab's labels, so `dockyard lab reset` can find it."""
    if (obj_labels or {}).get(LAB_LABEL_KEY) != lab:
        return missing(f"{what} has no label {LAB_LABEL_KEY}={lab}: pass `labels=LABELS` when you create it, "
                       "so `dockyard lab reset` can remove it")
    return passed()


def container_labelled(client, name: str, lab: str) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    return has_lab_label(container.labels, f"container `{name}`", lab)


def publishes(client, name: str, container_port: str, host: str, host_port: int) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    bindings = (container.attrs["NetworkSettings"].get("Ports") or {}).get(container_port) or []
    if not any(b.get("HostIp") == host and b.get("HostPort") == str(host_port) for b in bindings):
        shown = [f"{b.get('HostIp')}:{b.get('HostPort')}" for b in bindings] or "nothing"
        return missing(f"container `{name}` publishes {container_port} on {shown}, not {host}:{host_port}: "
                       f"use `ports={{'{container_port}': ('{host}', {host_port})}}`")
    return passed()


def http_get(url: str, timeout: float = 3) -> tuple[int, bytes] | None:
    """(status, body) from a local URL, or None when nothing answers. No proxy is ever used."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except (urllib.error.URLError, OSError):
        return None


def answers(url: str, contains: str = "", wait: float = 5) -> Verdict:
    """The URL answers 200 (and its body holds `contains`); a just-started server gets `wait` seconds."""
    try:
        status, body = wait_until(lambda: http_get(url), timeout=wait, interval=0.5, what=f"an answer from {url}")
    except DockyardError:
        return missing(f"nothing answers on {url}")
    if status != 200:
        return missing(f"{url} answered HTTP {status}, not 200")
    if contains and contains.encode() not in body:
        return missing(f"{url} answered, but without {contains!r}")
    return passed()


def nothing_answers(url: str) -> Verdict:
    if http_get(url, timeout=1) is None:
        return passed()
    return missing(f"{url} still answers")


def file_contains(path: str | Path, *needles: str) -> Verdict:
    path = Path(path)
    if not path.exists():
        return missing(f"no file {path} yet")
    text = path.read_text(errors="replace")
    lacking = [n for n in needles if n not in text]
    if lacking:
        return missing(f"{path.name} does not contain {', '.join(repr(n) for n in lacking)} yet")
    return passed()


def image_tagged(client, ref: str, lab: str | None = None) -> Verdict:
    import docker
    try:
        found = client.images.get(ref)
    except docker.errors.ImageNotFound:
        return missing(f"no image tagged {ref} yet")
    return has_lab_label(found.labels, f"image {ref}", lab) if lab else passed()


def registry_lists(registry: str, repository: str, tag: str) -> Verdict:
    """The registry's own API (/v2/<repo>/tags/list) lists the tag: the push really happened."""
    reply = http_get(f"http://{registry}/v2/")
    if reply is None:
        return missing(f"no registry answers on {registry}")
    reply = http_get(f"http://{registry}/v2/{repository}/tags/list")
    if reply is None or reply[0] != 200:
        return missing(f"the registry on {registry} has no repository {repository} yet: push to it")
    tags = json.loads(reply[1] or b"{}").get("tags") or []
    if tag not in tags:
        return missing(f"{registry}/{repository} has tags {tags}, not {tag!r}")
    return passed()


def container_from(client, name: str, image_ref: str) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    configured = container.attrs["Config"]["Image"]
    if configured != image_ref:
        return missing(f"container `{name}` was made from {configured}, not {image_ref}")
    return passed()


# --- Kubernetes -----------------------------------------------------------------------------


def _read(call, *args):
    from kubernetes.client.rest import ApiException
    try:
        return call(*args)
    except ApiException as err:
        if err.status == 404:
            return None
        raise


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


def pod_labels(core, namespace: str, name: str, wanted: dict) -> Verdict:
    pod = _read(core.read_namespaced_pod, name, namespace)
    if pod is None:
        return missing(f"no pod named `{name}` in namespace {namespace} yet")
    have = pod.metadata.labels or {}
    wrong = {k: v for k, v in wanted.items() if have.get(k) != v}
    if wrong:
        return missing(f"pod `{name}` lacks the labels {', '.join(f'{k}={v}' for k, v in wrong.items())}")
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
        return missing(f"the log of pod `{name}` does not contain {text!r} (it printed: {logs.strip()[-80:]!r})")
    return passed()


def deployment_ready(apps, namespace: str, name: str, replicas: int, wait: float = 60) -> Verdict:
    dep = _read(apps.read_namespaced_deployment, name, namespace)
    if dep is None:
        return missing(f"no deployment named `{name}` in namespace {namespace} yet")
    if dep.spec.replicas != replicas:
        return missing(f"deployment `{name}` asks for {dep.spec.replicas} replicas, not {replicas}")
    try:
        kube.wait_for_rollout(apps, namespace, name, timeout=wait, quiet=True)
        return passed()
    except DockyardError:
        ready = apps.read_namespaced_deployment(name, namespace).status.ready_replicas or 0
        return missing(f"deployment `{name}` has {ready} of {replicas} replicas ready")


def service_selects(core, namespace: str, name: str, selector: dict, port: int) -> Verdict:
    svc = _read(core.read_namespaced_service, name, namespace)
    if svc is None:
        return missing(f"no service named `{name}` in namespace {namespace} yet")
    if (svc.spec.selector or {}) != selector:
        return missing(f"service `{name}` selects {svc.spec.selector}, not {selector}")
    ports = [p.port for p in svc.spec.ports or []]
    if port not in ports:
        return missing(f"service `{name}` listens on {ports}, not {port}")
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
    pods = core.list_namespaced_pod(namespace, label_selector=selector).items
    if len(pods) != 1:
        return missing(f"{len(pods)} pods match {selector}, not 1: relabel one of the service's pods")
    name = pods[0].metadata.name
    try:
        kube.watch_until(discovery.list_namespaced_endpoint_slice,
                         lambda slices: name not in kube.ready_endpoint_pods(slices.values()),
                         namespace, timeout=wait, what=f"{name} to leave service {service}",
                         label_selector=f"kubernetes.io/service-name={service}")
        return passed()
    except DockyardError:
        return missing(f"pod `{name}` is still behind service `{service}`")
