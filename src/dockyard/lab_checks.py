"""What a lab's check cells look at, each answer a Verdict in plain words.

A wrong or missing answer is a falsy Verdict saying what to do next; these never raise for it.
Chain them with `and`: the first thing missing is what the learner is told.

The checks look at behaviour, not only at shape: the page a container serves, what an image built
from the learner's Dockerfile prints, where an image really came from (the engine's pull events),
a pod's container state and restart count, whether a pod is still the one checked before (its uid),
what a Service really forwards to. The functions without a client (`describe_bindings`,
`dockerfile_problem`, `container_trouble`…) are the pure part, unit-tested on their own.
"""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from . import kube
from .errors import DockyardError
from .labkit import Verdict, missing, passed
from .versions import LAB_LABEL_KEY
from .waits import wait_until

# --- words shared by Docker and Kubernetes --------------------------------------------------

_SIGNALS = {137: "SIGKILL", 143: "SIGTERM", 130: "SIGINT"}


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def short_error(message: str | None) -> str:
    """The part of a runtime's error a learner can act on.

    'failed to create shim task: OCI runtime create failed: … exec: "sleep 3600": executable file
    not found in $PATH: unknown' → 'exec: "sleep 3600": executable file not found in $PATH'."""
    text = (message or "").strip()
    at = text.find("exec:")
    if at >= 0:
        text = text[at:]
    text = re.sub(r":\s*unknown$", "", text)
    return text if len(text) <= 200 else text[:197] + "..."


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def command_advice(command: list[str] | None, error: str | None) -> str:
    """Advice when a command could not be started because it was written as one string.

    ["echo hello"] asks for a program called `echo hello`; each word is its own string."""
    words = list(command or [])
    if not words or " " not in words[0]:
        return ""
    if not any(s in (error or "") for s in ("executable file not found", "no such file or directory")):
        return ""
    program, _, rest = words[0].strip().partition(" ")
    split = [program, rest.strip()] + words[1:]
    return f" (a command is a list: the program, then each argument, e.g. {json.dumps(split)})"


def exit_words(code: int) -> str:
    """'exit code 137, killed by SIGKILL' for the codes a signal leaves, else 'exit code N'."""
    signal = _SIGNALS.get(code)
    return f"exit code {code}, killed by {signal}" if signal else f"exit code {code}"


# --- Docker ---------------------------------------------------------------------------------


def _container(client, name: str, hint: str = ""):
    """(the container, None), or (None, a Verdict saying there is no such container yet).

    Test the second with `is not None`: a Verdict of something missing is falsy."""
    import docker
    try:
        return client.containers.get(name), None
    except docker.errors.NotFound:
        return None, missing(f"no container named `{name}` yet" + (f" (hint: {hint})" if hint else ""))


def container_state_words(attrs: dict) -> str:
    """A container's state as a sentence's end: 'was created but never started: …', 'is paused…'."""
    state = attrs.get("State") or {}
    status = state.get("Status", "")
    if status == "created":
        error = short_error(state.get("Error"))
        command = [attrs.get("Path") or ""] + list(attrs.get("Args") or []) if attrs.get("Path") else None
        return ("was created but never started" + (f": the engine said {error}" if error else
                                                   ": start it with .start(), or use containers.run")
                + command_advice(command, error))
    if status == "paused":
        return "is paused: frozen in memory, not stopped (`.unpause()` it; `.stop()` is what stops it)"
    if status == "exited":
        return f"has exited ({exit_words(state.get('ExitCode', 0))})"
    return f"is {status}"


def container_running(client, name: str, image: str | None = None, hint: str = "") -> Verdict:
    container, absent = _container(client, name, hint)
    if absent is not None:
        return absent
    if image and image not in container.image.tags:
        return missing(f"container `{name}` runs {container.image.tags or container.image.short_id}, "
                       f"not {image}: remove it (`.remove(force=True)`) and run it again from {image}")
    if container.status != "running":
        advice = ("" if container.status in ("created", "paused")
                  else ": run it with `detach=True` and a command that keeps running")
        return missing(f"container `{name}` {container_state_words(container.attrs)}{advice}")
    return passed()


def container_exited(client, name: str, exit_code: int = 0, hint: str = "") -> Verdict:
    container, absent = _container(client, name, hint)
    if absent is not None:
        return absent
    state = container.attrs["State"]
    if container.status == "running":
        return missing(f"container `{name}` is still running: give it a command that ends")
    if container.status != "exited":
        return missing(f"container `{name}` {container_state_words(container.attrs)}")
    code = state["ExitCode"]
    if code != exit_code:
        if code == 137 and exit_code == 0:
            return missing(f"container `{name}` was killed ({exit_words(code)}), not stopped: `.stop()` "
                           "sends SIGTERM first, so the program can end cleanly with 0; `.kill()` does not")
        return missing(f"container `{name}` exited with {exit_words(code)}, not {exit_code}")
    return passed()


def container_logs_contain(client, name: str, text: str) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    logs = container.logs().decode(errors="replace")
    if text not in logs:
        shown = f"it printed {logs.strip()[-80:]!r}" if logs.strip() else "it printed nothing"
        return missing(f"the log of `{name}` does not contain {text!r} ({shown})")
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


def describe_bindings(name: str, ports: dict | None, container_port: str, host: str, host_port: int) -> str | None:
    """What is wrong with a container's published ports (NetworkSettings.Ports), or None.

    Says which port was published instead: the usual mistake is the wrong side of the colon."""
    ports = ports or {}
    bindings = ports.get(container_port) or []
    if any(b.get("HostIp") == host and b.get("HostPort") == str(host_port) for b in bindings):
        return None
    use = f"use `ports={{'{container_port}': ('{host}', {host_port})}}`"
    if bindings:
        shown = ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}" for b in bindings)
        return f"container `{name}` publishes {container_port} on {shown}, not on {host}:{host_port}: {use}"
    others = {p: bs for p, bs in ports.items() if bs}
    if others:
        shown = ", ".join(f"{p} on {b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}"
                          for p, bs in sorted(others.items()) for b in bs)
        return (f"container `{name}` publishes {shown}, but the server inside listens on {container_port}: "
                f"nothing listens behind that port; {use}")
    return f"container `{name}` publishes no port, so nothing outside reaches the server on {container_port}: {use}"


def publishes(client, name: str, container_port: str, host: str, host_port: int) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    problem = describe_bindings(name, container.attrs["NetworkSettings"].get("Ports"), container_port, host, host_port)
    return missing(problem) if problem else passed()


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


# --- Dockerfiles and images -----------------------------------------------------------------


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction: comments dropped, `\\` lines joined,
    instruction names upper-cased (the engine reads `from` as `FROM`)."""
    out, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line, pending = (pending + line).strip(), ""
        if line:
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    if pending.strip():
        word, _, rest = pending.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def exec_form(arguments: str) -> list[str] | None:
    """The JSON form of CMD/ENTRYPOINT (`["cat", "/f"]`) as a list; None for the shell form."""
    text = arguments.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def dockerfile_command(instructions: list[tuple[str, str]]) -> list[str] | None:
    """The command the last CMD gives a container, as the engine stores it (Config.Cmd)."""
    cmds = [args for word, args in instructions if word == "CMD"]
    if not cmds:
        return None
    form = exec_form(cmds[-1])
    return form if form is not None else ["/bin/sh", "-c", cmds[-1]]


def dockerfile_problem(text: str, base: str) -> str | None:
    """What a Dockerfile lacks before it is worth building, or None."""
    steps = parse_dockerfile(text)
    froms = [args.split()[0] for word, args in steps if word == "FROM" and args.split()]
    if not froms:
        return "the Dockerfile has no FROM line: every image starts from another one"
    if steps[0][0] not in ("FROM", "ARG"):
        return f"the Dockerfile starts with {steps[0][0]}, but FROM must come first"
    if froms[-1] != base:
        return (f"the Dockerfile starts FROM {froms[-1]}, not the kit's {base}: write FROM {base} (the kit's "
                f"image is already on this engine; {froms[-1]} would come from a registry, if any has it)")
    if not any(word == "CMD" for word, _ in steps):
        runs = [args for word, args in steps if word == "RUN"]
        because = (f" `RUN {runs[-1]}` runs once, while the image is built; " if runs else " ")
        return (f"the Dockerfile has no CMD, so a container of it runs its base image's command, not "
                f"yours.{because}CMD is what each container runs")
    return None


def _remove_quietly(thing, **kwargs) -> None:
    try:
        thing.remove(**kwargs)
    except Exception:   # noqa: BLE001 - a check's own scratch: gone already, or in use by the learner's
        pass


def dockerfile_prints(client, folder: str | Path, base: str, prints: str, labels: dict | None = None,
                      wait: float = 30) -> Verdict:
    """The Dockerfile in `folder` starts FROM `base`, builds, and a container of it prints `prints`.

    The check builds it itself (untagged, so the learner's exercise 2 still has its work to do),
    runs it once, and removes both again."""
    import docker
    folder = Path(folder)
    dockerfile = folder / "Dockerfile"
    if not dockerfile.exists():
        return missing(f"no file {dockerfile} yet")
    problem = dockerfile_problem(dockerfile.read_text(errors="replace"), base)
    if problem:
        return missing(problem)
    try:
        built, _ = client.images.build(path=str(folder), labels=labels or {}, rm=True, forcerm=True)
    except docker.errors.BuildError as err:
        return missing(f"the Dockerfile does not build: {short_error(err.msg)}")
    except docker.errors.APIError as err:
        return missing(f"the Dockerfile does not build: {short_error(str(err.explanation or err))}")
    trial = None
    try:
        try:
            trial = client.containers.create(built.id, labels=labels or {})
            trial.start()
            trial.wait(timeout=wait)
        except docker.errors.APIError as err:
            if trial is None:
                return missing(f"no container can be made of the image built from the Dockerfile: "
                               f"{short_error(str(err.explanation or err))}")
            # it did not start: its state says why
        except Exception:   # noqa: BLE001 - wait ran out of time
            return missing(f"a container of the image built from the Dockerfile was still running after "
                           f"{wait:.0f}s: its CMD must print the greeting and end")
        trial.reload()
        if trial.status != "exited":
            return missing(f"a container of the image built from the Dockerfile "
                           f"{container_state_words(trial.attrs)}")
        logs = trial.logs().decode(errors="replace")
        code = trial.attrs["State"]["ExitCode"]
        if prints not in logs:
            said = f"printed {logs.strip()[-100:]!r}" if logs.strip() else "printed nothing"
            return missing(f"a container of the image built from the Dockerfile {said} ({exit_words(code)}), "
                           f"not {prints!r}")
        return passed()
    finally:
        if trial is not None:
            _remove_quietly(trial, force=True)
        if not client.images.get(built.id).tags:   # the learner's own build keeps its tag
            _remove_quietly(client.images, image=built.id)


def _split_ref(ref: str) -> tuple[str, str]:
    """'host:5000/name:1' → ('host:5000/name', '1'); no tag → 'latest'."""
    head, sep, tag = ref.rpartition(":")
    if sep and "/" not in tag:
        return head, tag
    return ref, "latest"


def new_history_steps(history: list[dict], base_id: str) -> list[str]:
    """The CreatedBy of each history entry above the base image (`image.history()`, newest first)."""
    steps = []
    for entry in history:
        if entry.get("Id") == base_id:
            break
        steps.append(entry.get("CreatedBy") or "")
    return steps


def _step_words(created_by: str) -> str:
    return re.sub(r"^/bin/sh -c #\(nop\)\s*", "", created_by).replace(" # buildkit", "").strip()


def image_built(client, ref: str, dockerfile: str | Path, base: str, lab: str | None = None) -> Verdict:
    """`ref` exists, carries the lab's label, and was built from `dockerfile` on `base`.

    Built, not made some other way: its layers start with the base image's, its history holds the
    Dockerfile's COPY step (a `docker commit` records the container's command instead), and its
    CMD is the Dockerfile's."""
    import docker
    try:
        found = client.images.get(ref)
    except docker.errors.ImageNotFound:
        repository, tag = _split_ref(ref)
        others = sorted(t for image in client.images.list(name=repository) for t in image.tags
                        if _split_ref(t)[0] == repository)
        if others:
            return missing(f"no image tagged {ref} yet, but there is {', '.join(others)}: the tag is the part "
                           f"after the colon, so build with tag={ref!r}")
        return missing(f"no image tagged {ref} yet")
    if lab:
        labelled = has_lab_label(found.labels, f"image {ref}", lab)
        if not labelled:
            return labelled
    base_image = client.images.get(base)
    base_layers = base_image.attrs["RootFS"].get("Layers") or []
    if (found.attrs["RootFS"].get("Layers") or [])[:len(base_layers)] != base_layers:
        return missing(f"image {ref} is not built on {base}: its Dockerfile must start FROM {base}")
    steps = new_history_steps(found.history(), base_image.id)
    if not any(_step_words(s).startswith("COPY") for s in steps):
        shown = "; ".join(_step_words(s) for s in steps[:3]) or "nothing"
        return missing(f"image {ref} was not built from your Dockerfile: its history has no COPY step, only "
                       f"`{shown}` (what `docker commit` records). Build it: "
                       "client.images.build(path=..., tag=..., labels=...)")
    path = Path(dockerfile)
    wanted = dockerfile_command(parse_dockerfile(path.read_text(errors="replace"))) if path.exists() else None
    have = found.attrs["Config"].get("Cmd")
    if wanted is not None and have != wanted:
        return missing(f"image {ref} runs {have}, but your Dockerfile says {wanted}: build it again from the "
                       "Dockerfile as it is now")
    return passed()


def image_tagged(client, ref: str, lab: str | None = None) -> Verdict:
    import docker
    try:
        found = client.images.get(ref)
    except docker.errors.ImageNotFound:
        return missing(f"no image tagged {ref} yet")
    return has_lab_label(found.labels, f"image {ref}", lab) if lab else passed()


def container_from(client, name: str, image_ref: str) -> Verdict:
    container, absent = _container(client, name)
    if absent is not None:
        others = [c.name for c in client.containers.list(all=True, filters={"ancestor": image_ref})
                  if c.attrs["Config"]["Image"] == image_ref]
        if others:
            return missing(f"no container named `{name}`, but a container of {image_ref} is named "
                           f"`{others[0]}`: the engine picked that name because none was given; "
                           f"run it again with name=…")
        return absent
    configured = container.attrs["Config"]["Image"]
    if configured != image_ref:
        return missing(f"container `{name}` was made from {configured}, not {image_ref}")
    return passed()


def container_runs_image_cmd(client, name: str) -> Verdict:
    """The container ran its image's own CMD: no command was given that replaces it."""
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    ran, own = container.attrs["Config"].get("Cmd"), container.image.attrs["Config"].get("Cmd")
    if ran != own:
        return missing(f"container `{name}` ran `{' '.join(ran or [])}` instead of the image's own CMD "
                       f"`{' '.join(own or [])}`: run it without a command, so the image does what its "
                       "Dockerfile says")
    return passed()


# --- registries -----------------------------------------------------------------------------


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


def registry_tags(registry: str, repository: str) -> list[str] | None:
    """The tags the registry's API lists for `repository`; None when it has no such repository."""
    reply = http_get(f"http://{registry}/v2/{repository}/tags/list")
    if reply is None or reply[0] != 200:
        return None
    return json.loads(reply[1] or b"{}").get("tags") or []


def pushed(client, remote: str) -> Verdict:
    """`remote` (registry/repository:tag) is in that registry, as its API lists it. When it is not,
    say which step is missing: the local name (`docker tag`) or the push."""
    import docker
    repository, tag = _split_ref(remote)
    registry, _, path = repository.partition("/")
    if http_get(f"http://{registry}/v2/") is None:
        return missing(f"no registry answers on {registry}")
    tags = registry_tags(registry, path)
    if tags is not None and tag in tags:
        return passed()
    if tags:
        return missing(f"the registry has {path} with the tags {tags}, not {tag!r}: name the image "
                       f"{remote} (tag included) and push that tag")
    try:
        client.images.get(remote)
    except docker.errors.ImageNotFound:
        return missing(f"the registry has no {path}:{tag}, and there is no local image named {remote}: a push "
                       f"sends the image of that name, so give yours that name first "
                       f"(`.tag('{repository}', '{tag}')`), then push it")
    return missing(f"the registry has no {path}:{tag} yet: your image is named {remote}, so the name is "
                   f"right; now push it (`client.images.push('{repository}', '{tag}')`)")


def iso_epoch(stamp: str) -> float:
    """Seconds since the epoch of the engine's time stamps ('2024-05-01T10:00:00.123456789Z')."""
    head, _, frac = stamp.rstrip("Z").partition(".")
    seconds = datetime.fromisoformat(head + "+00:00").timestamp()
    return seconds + (float("0." + frac[:6]) if frac else 0.0)


def is_pull_of(event: dict, image_ref: str) -> bool:
    """Is this engine event a pull of `image_ref`? Engines name it by the reference (`repo:tag`),
    by the repository with a digest, or by the repository in the event's `name` attribute."""
    if (event.get("status") or event.get("Action")) != "pull":
        return False
    repository, _ = _split_ref(image_ref)
    actor = event.get("Actor") or {}
    ident = event.get("id") or actor.get("ID") or ""
    return ident == image_ref or ident.startswith(repository + "@") or \
        (actor.get("Attributes") or {}).get("name") == repository


def pulled_since(client, image_ref: str, since: float) -> bool:
    """Did the engine pull `image_ref` at or after `since` (its own `pull` events say so)?"""
    events = client.events(since=int(since), until=f"{time.time():.3f}",
                           filters={"type": "image", "event": "pull"}, decode=True)
    try:
        return any(is_pull_of(e, image_ref) for e in events)
    finally:
        events.close()


def pulled_from(client, image_ref: str, registry_container: str) -> Verdict:
    """The image was really pulled from the registry while it has been up, not named locally."""
    registry, absent = _container(client, registry_container)
    if absent is not None:
        return absent
    started = iso_epoch(registry.attrs["State"]["StartedAt"])
    if not pulled_since(client, image_ref, started):
        return missing(f"{image_ref} was never pulled from your registry: the image you ran is still the one "
                       f"built on this machine under a second name. Remove that name "
                       f"(client.images.remove), then pull it back (client.images.pull)")
    return passed()


# --- Kubernetes -----------------------------------------------------------------------------

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
