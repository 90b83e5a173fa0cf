"""Registries: what a registry's API lists, what a push lacks, pulls seen in the engine's events."""
from __future__ import annotations

import json
import time
from datetime import datetime

from dockyard.labs.checks.docker import _container, http_get
from dockyard.labs.checks.images import _split_ref
from dockyard.labs.lab import Verdict, missing, passed


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
