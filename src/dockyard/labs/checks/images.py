"""Dockerfiles and images: what a Dockerfile lacks, what an image built from it prints, how an image was made."""
from __future__ import annotations

import json
import re
from pathlib import Path

from dockyard.labs.checks.docker import _container, container_state_words, has_lab_label
from dockyard.labs.checks.words import exit_words, short_error
from dockyard.labs.lab import Verdict, missing, passed


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


def tagged_image(client, ref: str, lab: str | None = None, skip_tags: tuple = ()):
    """(the image tagged `ref`, passed()) or (None, what is wrong): it is missing (and another tag of
    that repository is there: the usual slip, a tag left off), or lacks the lab's label."""
    import docker
    try:
        found = client.images.get(ref)
    except docker.errors.ImageNotFound:
        repository, _ = _split_ref(ref)
        others = sorted(t for image in client.images.list(name=repository) for t in image.tags
                        if _split_ref(t)[0] == repository and t not in skip_tags)
        if others:
            return None, missing(f"no image tagged {ref} yet, but there is {', '.join(others)}: the tag is the "
                                 f"part after the colon, so build with tag={ref!r}")
        return None, missing(f"no image tagged {ref} yet")
    if lab:
        labelled = has_lab_label(found.labels, f"image {ref}", lab)
        if not labelled:
            return None, labelled
    return found, passed()


def image_built(client, ref: str, dockerfile: str | Path, base: str, lab: str | None = None) -> Verdict:
    """`ref` exists, carries the lab's label, and was built from `dockerfile` on `base`.

    Built, not made some other way: its layers start with the base image's, its history holds the
    Dockerfile's COPY step (a `docker commit` records the container's command instead), and its
    CMD is the Dockerfile's."""
    found, verdict = tagged_image(client, ref, lab)
    if found is None:
        return verdict
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
