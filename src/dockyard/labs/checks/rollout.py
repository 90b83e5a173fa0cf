"""Make demo 1 your own: an image of your own, loaded onto the nodes, rolled out under traffic (lab 9)."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from dockyard import kube
from dockyard.cluster.kind import remove_from_node
from dockyard.errors import DockyardError
from dockyard.labs.checks.docker import container_state_words, http_get
from dockyard.labs.checks.images import _remove_quietly, tagged_image
from dockyard.labs.checks.nodes import _live_pods
from dockyard.labs.checks.pods import _read, _running_for, _selector_text, container_trouble, rolled_out
from dockyard.labs.checks.words import _clip, plural
from dockyard.labs.lab import Verdict, missing, passed
from dockyard.waits import wait_until


def kind_node_containers(client, cluster: str | None = None) -> list:
    """The containers that are the kind cluster's nodes (named as the nodes are)."""
    from dockyard.versions import CLUSTER_NAME, KIND_CLUSTER_LABEL
    return client.containers.list(filters={"label": f"{KIND_CLUSTER_LABEL}={cluster or CLUSTER_NAME}"})


def node_images(container) -> list[dict]:
    """What one kind node's containerd holds (`crictl images -o json`): id, repoTags, repoDigests."""
    result = container.exec_run(["crictl", "images", "-o", "json"])
    if result.exit_code != 0:
        raise DockyardError(f"cannot list the images of node {container.name}: "
                            f"{result.output.decode(errors='replace').strip()[:200]}",
                            "is the kind cluster up? `dockyard cluster up`")
    return json.loads(result.output or b"{}").get("images") or []


def image_id_on_node(images: list[dict], ref: str) -> str | None:
    """The id (config digest) of the image a node has under `ref`, or None."""
    want = kube.full_image_ref(ref)
    return next((i.get("id") for i in images if want in (i.get("repoTags") or [])), None)


def running_image_id(images: list[dict], image_id: str | None) -> str | None:
    """The id of the image a container runs, from its status' imageID: containerd names an imported
    image by the digest of its archive's manifest (`…@sha256:…`), which the node lists as a repoDigest."""
    if not image_id:
        return None
    for entry in images:
        if image_id == entry.get("id") or image_id in (entry.get("repoDigests") or []):
            return entry.get("id")
    return None


def pod_image_ids(client, pods) -> dict[str, str | None]:
    """Pod name -> the ID of the image its (first) container runs, as its node's containerd has it."""
    nodes = {n.name: n for n in kind_node_containers(client)}
    images: dict[str, list[dict]] = {}
    out = {}
    for pod in pods:
        node = pod.spec.node_name
        if node in nodes and node not in images:
            images[node] = node_images(nodes[node])
        statuses = (pod.status.container_statuses if pod.status else None) or []
        out[pod.metadata.name] = running_image_id(images.get(node, []), statuses[0].image_id if statuses else None)
    return out


def _engine_id(client, ref: str) -> str | None:
    import docker
    try:
        return client.images.get(ref).id
    except docker.errors.ImageNotFound:
        return None


def _short(image_id: str | None) -> str:
    return (image_id or "none").removeprefix("sha256:")[:12]


def image_serves(client, ref: str, contains: str, original: str = "", labels: dict | None = None,
                 host: str = "127.0.0.1", skip_tags: tuple = (), lab: str | None = None) -> Verdict:
    """A container of `ref` (the check runs one for a moment) serves a page with `contains`, and
    /healthz still answers. `original` is the kit's phrase the learner's page replaces."""
    found, verdict = tagged_image(client, ref, lab, skip_tags)
    if found is None:
        return verdict
    trial = client.containers.run(found.id, detach=True, labels=labels or {}, ports={"8080/tcp": (host, None)})
    try:
        trial.reload()
        bindings = (trial.attrs["NetworkSettings"].get("Ports") or {}).get("8080/tcp") or []
        if not bindings:
            state = container_state_words(trial.attrs)
            return missing(f"a container of {ref} does not listen on port 8080 (it {state})")
        base = f"http://127.0.0.1:{bindings[0]['HostPort']}"
        try:
            status, body = wait_until(lambda: http_get(base + "/"), timeout=10, interval=0.3,
                                      what=f"an answer from a container of {ref}")
        except DockyardError:
            trial.reload()
            state = container_state_words(trial.attrs)
            return missing(f"a container of {ref} does not answer on port 8080 (it {state})")
        page = body.decode(errors="replace")
        if status != 200:
            return missing(f"a container of {ref} answers HTTP {status}, not 200: the page is a script "
                           "(www/cgi-bin/index.cgi) that must stay executable and print its headers first")
        if contains not in page:
            if original and original in page:
                return missing(f"a container of {ref} still serves the kit's page ({original!r}), not {contains!r}: "
                               "build from your own folder, the one where you changed the page")
            return missing(f"a container of {ref} serves a page without {contains!r}")
        health = http_get(base + "/healthz")
        if health is None or health[0] != 200:
            return missing(f"a container of {ref} does not answer 200 on /healthz: keep www/healthz, the readiness "
                           "probe asks it")
        return passed()
    finally:
        _remove_quietly(trial, force=True)


def image_on_nodes(client, ref: str) -> Verdict:
    """Every node of the kind cluster has `ref`, and the same build as the engine (same image ID)."""
    engine = _engine_id(client, ref)
    if engine is None:
        return missing(f"there is no image {ref} in your engine yet: build it first (exercise 1)")
    nodes = kind_node_containers(client)
    if not nodes:
        raise DockyardError("no node container of the kind cluster is running", "start it: `dockyard cluster up`")
    have = {node.name: image_id_on_node(node_images(node), ref) for node in nodes}
    lacking = sorted(n for n, i in have.items() if i is None)
    if len(lacking) == len(have):
        return missing(f"no node of the cluster has {ref}: each node keeps its own images (containerd), and there "
                       "is no registry to pull from. Load it into them, as demo 1 does: load_image(...)")
    stale = sorted(n for n, i in have.items() if i is not None and i != engine)
    if stale:
        older = have[stale[0]]
        return missing(f"the nodes have another build of {ref} ({_short(older)}) than your engine "
                       f"({_short(engine)}): you built it again after loading it; load it again")
    if lacking:
        return missing(f"{', '.join(lacking)} lack {ref}: load it into every node")
    return passed()


def forget_on_nodes(client, refs) -> list[str]:
    """Remove these names from the kind nodes' containerd: an image that another name still points
    at (a catalog image) keeps its content, one that had only this name goes. Returns what was removed."""
    removed = []
    for node in kind_node_containers(client):
        images = node_images(node)
        for ref in refs:
            full = kube.full_image_ref(ref)
            entry = next((i for i in images if full in (i.get("repoTags") or [])), None)
            if entry is None:
                continue
            # Its last name: the image goes, with the import@digest name `kind load` also gave it,
            # which would otherwise keep it on the node for good.
            if entry.get("repoTags") == [full]:
                gone = remove_from_node(node, entry)
            else:
                gone = node.exec_run(["ctr", "-n", "k8s.io", "images", "rm", full]).exit_code == 0
            if gone:
                removed.append(f"{node.name}: {full}")
    return removed


def resolve_max_unavailable(value, replicas: int) -> int:
    """How many pods a rolling update may take away at once: an int, or a percentage of the
    replicas rounded down, as the Deployment controller reads it (unset: 25%)."""
    if value is None:
        value = "25%"
    if isinstance(value, str) and value.strip().endswith("%"):
        return (replicas * int(value.strip()[:-1])) // 100
    return int(value)


def rollout_problem(dep) -> str | None:
    """What in a Deployment's spec makes a rollout drop requests, in words; None when nothing does.

    Recreate stops every old pod first; maxUnavailable above 0 lets a pod go before its successor is
    ready; without a readiness probe a pod counts as ready before its server answers; without a
    preStop pause a pod stops while the nodes may still send it requests."""
    name, replicas = dep.metadata.name, dep.spec.replicas or 0
    strategy = dep.spec.strategy
    if strategy is not None and strategy.type == "Recreate":
        return (f"deployment `{name}` uses the Recreate strategy: it stops all {replicas} old pods before it starts "
                "a new one, so nothing answers in between; use type RollingUpdate")
    raw = strategy.rolling_update.max_unavailable if strategy is not None and strategy.rolling_update else None
    away = resolve_max_unavailable(raw, replicas)
    if away > 0:
        said = f"{raw if raw is not None else '25%'}" + (", the default" if raw in (None, "25%") else "")
        return (f"deployment `{name}` may take {away} of its {replicas} pods away before a new one is ready "
                f"(maxUnavailable is {said}): set max_unavailable=0 in its rolling update strategy")
    containers = dep.spec.template.spec.containers or []
    if not all(c.readiness_probe for c in containers):
        return (f"the pods of `{name}` have no readiness probe: Kubernetes counts a new pod ready, and sends it "
                "requests, the moment its container starts, not when the server in it answers; add one "
                "(an HTTP GET of /healthz on port 8080)")
    if not all(c.lifecycle and c.lifecycle.pre_stop for c in containers):
        return (f"the pods of `{name}` have no preStop pause: an old pod is told to stop the moment it leaves the "
                "service, while the nodes may still send it requests for a moment; give the container a preStop "
                "hook that sleeps 10 seconds")
    return None


def _probe_failures(core, namespace: str, pod: str) -> list[tuple[str, int]]:
    """The pod's failed readiness probes: (the kubelet's words, how many times), from its events."""
    events = core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={pod},reason=Unhealthy").items
    return [(e.message, e.count or 1) for e in events if (e.message or "").startswith("Readiness probe failed")]


def wait_rolled_out(apps, core, namespace: str, name: str, wait: float = 90, unready_for: float = 6) -> Verdict:
    """The Deployment's rollout ends (every replica updated and available). A pod that cannot run, or
    runs but stays unready (its readiness probe fails) longer than `unready_for` s, ends the wait at once."""
    dep = _read(apps.read_namespaced_deployment, name, namespace)
    if dep is None:
        return missing(f"no deployment named `{name}` in namespace {namespace} yet")
    selector = _selector_text(dep.spec.selector.match_labels)

    def settled():
        d = apps.read_namespaced_deployment(name, namespace)
        if rolled_out(d):
            return ("ok", "")
        for pod in _live_pods(core, namespace, selector):
            trouble = container_trouble(pod)
            if trouble:
                return ("trouble", f"the new pods of `{name}` do not run: pod `{pod.metadata.name}` {trouble}")
            statuses = pod.status.container_statuses or []
            running = statuses and all(cs.state and cs.state.running for cs in statuses)
            unready = running and not all(cs.ready for cs in statuses) and _running_for(pod) > unready_for
            failures = _probe_failures(core, namespace, pod.metadata.name) if unready else []
            # one failed probe may come before the server listens; a probe that keeps failing is the answer
            if unready and (sum(count for _, count in failures) >= 3 or _running_for(pod) > 4 * unready_for):
                said = f" ({_clip(failures[-1][0].removeprefix('Readiness probe failed:').strip(), 160)})" \
                    if failures else ""
                return ("trouble", f"the new pods of `{name}` never get ready, so the rollout cannot go on; pod "
                                   f"`{pod.metadata.name}` runs but its readiness probe fails{said}. The probe must "
                                   "ask what the app answers: /healthz on port 8080")
        return None
    try:
        outcome, detail = wait_until(settled, timeout=wait, interval=1, what=f"deployment {name} to roll out")
    except DockyardError:
        d = apps.read_namespaced_deployment(name, namespace)
        return missing(f"deployment `{name}` did not finish rolling out in {wait:.0f}s "
                       f"({d.status.updated_replicas or 0} of {d.spec.replicas} pods updated, "
                       f"{d.status.available_replicas or 0} available)")
    return passed() if outcome == "ok" else missing(detail)


def ready_for_rollout(apps, core, namespace: str, name: str, wait: float = 90) -> Verdict:
    """The Deployment can roll out without dropping a request (see `rollout_problem`), and its
    pods are the ones with those settings: that rollout finished."""
    dep = _read(apps.read_namespaced_deployment, name, namespace)
    if dep is None:
        return missing(f"no deployment named `{name}` in namespace {namespace} yet")
    problem = rollout_problem(dep)
    if problem:
        return missing(problem)
    return wait_rolled_out(apps, core, namespace, name, wait)


def wait_steady(apps, core, namespace: str, name: str, url: str, answers: int = 20, timeout: float = 120) -> None:
    """Before measuring a rollout: the pods an earlier change replaced are gone, and `answers`
    requests in a row were answered within 2 s each. Pods stopped without a preStop pause (as the
    Deployment's first pods were) leave nodes sending them new connections for a while, and
    those are never answered; that belongs to the change before, not to the rollout measured."""
    dep = apps.read_namespaced_deployment(name, namespace)
    selector = _selector_text(dep.spec.selector.match_labels)
    wait_until(lambda: not [p for p in core.list_namespaced_pod(namespace, label_selector=selector).items
                            if p.metadata.deletion_timestamp],
               timeout=timeout, interval=0.5, what=f"the replaced pods of {name} to go")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    in_a_row, deadline = 0, time.monotonic() + timeout
    while in_a_row < answers:
        if time.monotonic() > deadline:
            raise DockyardError(f"{url} did not answer {answers} requests in a row within {timeout:.0f}s",
                                f"look at `kubectl get pods,endpointslices -n {namespace}`")
        try:
            with opener.open(url, timeout=2) as response:
                response.read()
            in_a_row += 1
        except (urllib.error.URLError, OSError):
            in_a_row = 0
        time.sleep(0.02)


class Traffic:
    """Requests to `url`, one after another in a background thread, until `stop()`.

    Each answer is recorded as the name of the page it was (the first of `pages` whose phrase it
    contains, "other" if none), each failure with its reason. It stops by itself after `limit` s,
    so a forgotten one does not run on for ever. The `timeout` is generous: a machine busy with
    other work answers slowly but answers, while a pod that is gone refuses at once or never answers:
    a connection the node sent to a pod that just left is never answered, since TCP's retries keep
    the address the node's NAT chose for its first packet. The preStop pause is what prevents that."""

    def __init__(self, url: str, pages: dict[str, str], pause: float = 0.02, timeout: float = 30,
                 limit: float = 900):
        import threading
        self.url, self.pages, self.pause, self.timeout, self.limit = url, dict(pages), pause, timeout, limit
        self.log: list[tuple[str, str]] = []     # ("old", "") / ("failed", "HTTP 502") …, in order
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dockyard-traffic", daemon=True)

    def start(self) -> "Traffic":
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _one(self, opener) -> tuple[str, str]:
        try:
            with opener.open(self.url, timeout=self.timeout) as response:
                page = response.read().decode(errors="replace")
        except urllib.error.HTTPError as err:
            return ("failed", f"HTTP {err.code}")
        except (urllib.error.URLError, OSError) as err:
            return ("failed", str(getattr(err, "reason", err)))
        return (next((key for key, phrase in self.pages.items() if phrase in page), "other"), "")

    def _run(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        end = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < end:
            self.log.append(self._one(opener))
            self._stop.wait(self.pause)

    def stop(self) -> "Traffic":
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.timeout + 5)
        return self

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, _ in list(self.log):
            out[kind] = out.get(kind, 0) + 1
        return out


def traffic_problem(log: list[tuple[str, str]], old: str = "old", new: str = "new", least: int = 20) -> str | None:
    """What the requests sent during a rollout show went wrong, or None: every one answered, the old
    page first and the new one at the end."""
    total = len(log)
    failed = [why for kind, why in log if kind == "failed"]
    if failed:
        return (f"{len(failed)} of {total} requests failed during the rollout (the first: {_clip(failed[0], 120)})")
    if total < least:
        return f"only {total} requests were sent during the rollout: start the traffic (the cell above) first"
    kinds = [kind for kind, _ in log]
    if old not in kinds:
        return ("the traffic never saw the old page: the rollout was over before it started. Roll back "
                "(`kubectl rollout undo`: patch the old image back), start the traffic, then roll out again")
    if kinds[-1] != new:
        return f"the last answer during the rollout was the {kinds[-1]} page, not the new one"
    return None


def rolled_out_under_traffic(client, apps, core, namespace: str, name: str, ref: str, traffic, url: str,
                             contains: str, wait: float = 90) -> Verdict:
    """Deployment `name` runs `ref` (the build the engine has, by image ID), the service at `url`
    serves the page with `contains`, and `traffic`, running through the rollout, saw no failure."""
    if traffic is None:
        return missing("no traffic was sent: run the cell that starts it, then roll out")
    dep = _read(apps.read_namespaced_deployment, name, namespace)
    if dep is None:
        return missing(f"no deployment named `{name}` in namespace {namespace}")
    wanted = dep.spec.template.spec.containers[0].image
    pods = _live_pods(core, namespace, _selector_text(dep.spec.selector.match_labels))
    if wanted != ref:
        changed = [p for p in pods if any(c.image == ref for c in p.spec.containers)]
        if changed:
            return missing(f"you changed the pods, not the Deployment: it still makes pods of {wanted}, so every pod "
                           "it replaces comes back with that, and each pod you changed stops and starts its container "
                           "in place, no new pod ready first. Set the image in the Deployment's pod template")
        engine = _engine_id(client, wanted)
        ran = set(pod_image_ids(client, pods).values())
        if engine is not None and ran and engine not in ran:
            return missing(f"deployment `{name}` still asks for {wanted}, the name it had before, so Kubernetes saw "
                           "nothing to roll out, and its pods keep the image they started with (not your new build "
                           f"under that name). A new build needs a new tag: {ref}")
        return missing(f"deployment `{name}` still runs {wanted}, not {ref}: set its container's image to {ref}")
    done = wait_rolled_out(apps, core, namespace, name, wait)
    if not done:
        return done
    try:   # old pods finish their preStop pause; requests still count until they are gone
        wait_until(lambda: not [p for p in core.list_namespaced_pod(
            namespace, label_selector=_selector_text(dep.spec.selector.match_labels)).items
            if p.metadata.deletion_timestamp], timeout=60, interval=0.5, what="the old pods to go")
    except DockyardError:
        pass
    engine = _engine_id(client, ref)
    pods = _live_pods(core, namespace, _selector_text(dep.spec.selector.match_labels))
    other = sorted(pod for pod, ran in pod_image_ids(client, pods).items() if ran != engine)
    if other:
        return missing(f"{plural(len(other), 'pod')} of `{name}` run another build of {ref} than your engine "
                       f"({_short(engine)}) has ({', '.join(other[:2])}): load it again, then have new pods made "
                       "(`kubectl rollout restart`: a new annotation in the pod template)")
    page = http_get(url)
    if page is None or page[0] != 200 or contains.encode() not in page[1]:
        return missing(f"the service at {url} does not serve the new page (with {contains!r})")
    traffic.stop()
    problem = traffic_problem(traffic.log)
    if problem and "failed" in problem:
        cause = rollout_problem(apps.read_namespaced_deployment(name, namespace))
        problem += f"; {cause}" if cause else ""
    return missing(problem) if problem else passed()
