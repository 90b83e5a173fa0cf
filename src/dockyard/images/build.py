"""Make catalog images: skip when present and unchanged, otherwise build with a streamed log.
On the online way (ways.py) the base is pulled by its pinned digest instead of made here."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from dockyard import settings, versions
from dockyard.display import Progress
from dockyard.errors import DockyardError
from dockyard.images import debian_base, wheelhouse
from dockyard.images.catalog import Image, build_order, image
from dockyard.paths import BUILD, REPO
from dockyard.timings import timed

DOCKER_DIR = REPO / "docker"
RECIPE_LABEL = "dockyard.recipe"


def kit_labels(recipe: str) -> dict:
    """The labels of the kit's prepared images: only the recipe. The workshop label stays off
    images, since Docker copies image labels onto every container and image made from them."""
    return {RECIPE_LABEL: recipe}


def context_digest(folder: Path) -> str:
    """A hash of every file's path and bytes under a build context."""
    digest = hashlib.sha256()
    if folder.exists():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def recipe_hash(entry: Image, base_id: str = "") -> str:
    """Everything that decides an image's content; a change means a rebuild."""
    parts = [entry.how, entry.ref, base_id, ",".join(entry.packages), ",".join(entry.wheels)]
    if entry.context:
        parts.append(context_digest(DOCKER_DIR / entry.context))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def existing(client, ref: str):
    import docker
    try:
        return client.images.get(ref)
    except docker.errors.ImageNotFound:
        return None


def build_labels(client, entry: Image) -> dict:
    """The labels `dockyard images` gives `entry`. A notebook that builds it with these (and the
    same BASE_IMAGE) gets the very same image: the build cache answers every step."""
    base_id = existing(client, image(entry.base).ref).id if entry.base else ""
    return kit_labels(recipe_hash(entry, base_id))


def require_image(client, key: str) -> Image:
    """The catalog entry `key` when its image (and its base) is on the engine; else one clear line."""
    entry = image(key)
    for needed in [entry] + ([image(entry.base)] if entry.base else []):
        if existing(client, needed.ref) is None:
            raise DockyardError(f"the image {needed.ref} is not on this engine yet",
                                f"run `dockyard images {key}` (once; later runs reuse it)")
    return entry


def upstream_ref(entry: Image) -> str:
    """What the online way pulls for `entry`: its pin, or the override of the Debian pin."""
    return settings.debian_image() if entry.upstream == versions.DEBIAN_SLIM_IMAGE else entry.upstream


def split_pinned(ref: str) -> tuple[str, str]:
    """`name[:tag]@sha256:…` -> (name, digest); the engine pulls by the digest, the tag is a note."""
    name, _, digest = ref.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:  # a tag, not a registry's port
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name, digest


# Lines of a pull worth showing; the others are byte counters.
PULL_NOTES = ("Pulling from", "Pull complete", "Already exists", "Digest:", "Status:")


def pull_pinned(client, ref: str, progress: Progress, section: str = "images"):
    """The image of a digest-pinned `ref`: the engine's copy, else pulled by that digest.
    A failure (no such digest, a digest mismatch, no network) is one line naming `ref`;
    nothing on the engine is removed or retagged then."""
    import docker
    found = existing(client, ref)
    if found is not None:
        return found
    name, digest = split_pinned(ref)
    override = settings.override_of(ref)
    fix = (f"check {override}" if override else "check the pin in src/dockyard/versions.py") \
        + ", or run `dockyard prepare --from-source`"
    progress.line(f"pulling {ref}")
    try:
        with timed(section, f"pull {ref}"):
            for event in client.api.pull(name, tag=digest, stream=True, decode=True):
                if "error" in event:
                    raise docker.errors.APIError(event["error"])
                status = event.get("status", "")
                if status.startswith(PULL_NOTES):
                    progress.line(" ".join(filter(None, [event.get("id", ""), status])))
    except docker.errors.APIError as err:
        reason = (str(err.explanation or err).strip().splitlines() or ["?"])[0]
        raise DockyardError(f"pulling {ref} failed: {reason}", fix) from None
    pulled = existing(client, ref)
    if pulled is None:
        raise DockyardError(f"pulling {ref} ended without the image", fix)
    return pulled


def is_image(client, current, ref: str) -> bool:
    """Whether `current` is the very image `ref` names (by image ID; False when `ref` is not here)."""
    wanted = existing(client, ref)
    return wanted is not None and wanted.id == current.id


def build_failed(ref: str, context: Path, error: str, log_tail: tuple = ()) -> DockyardError:
    """The one line for a failed build: a full disk is the machine's problem, not the Dockerfile's.
    A step that fills it often fails with a plain exit code; its own output says why."""
    error = " ".join(error.split())
    if any("no space left on device" in text.lower() for text in (error, *log_tail)):
        return DockyardError(f"building {ref} failed: the engine's disk is full ({error[-160:]})",
                             "free space (`docker system df` shows what uses it; `dockyard clean`, "
                             "`docker builder prune`), then run `dockyard images` again")
    return DockyardError(f"building {ref} failed: {error}",
                         f"fix docker/{context.name}/Dockerfile, then run `dockyard images`")


def stream_build(client, context: Path, ref: str, buildargs: dict, labels: dict, progress: Progress) -> None:
    """docker build through the low-level API, each log line to the progress display."""
    last = ""
    recent: list[str] = []
    for chunk in client.api.build(path=str(context), tag=ref, buildargs=buildargs, labels=labels,
                                  rm=True, forcerm=True, decode=True):
        if "error" in chunk:
            raise build_failed(ref, context, chunk["error"], tuple(recent))
        for line in chunk.get("stream", "").splitlines():
            if line.strip():
                last = line
                recent = (recent + [line])[-20:]
                progress.line(line)
    if not last.startswith("Successfully"):
        raise DockyardError(f"building {ref} ended without success", "run `dockyard images` again")


def prepared_context(entry: Image) -> Path:
    """A copy of docker/<context> with the wheels it needs added under wheels/."""
    source = DOCKER_DIR / entry.context
    if not entry.wheels:
        return source
    target = BUILD / "contexts" / entry.context
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    wheelhouse.fill(entry.wheels, target / "wheels")
    return target


def keeps(client, entry: Image, current, recipe: str, online: bool) -> bool:
    """Whether the image found under `entry.ref` stays. Ours with the current recipe stays on
    either way. A pulled one has no recipe label: it stays, unless the online way pins another."""
    if versions.LABEL_KEY in current.labels:
        return False   # made before images stopped carrying the workshop label: every container run
                       # from it would look like the kit's to `clean`, so it is made again without
    label = current.labels.get(RECIPE_LABEL)
    if label == recipe:
        return True
    if label is None and entry.upstream:
        return not online or is_image(client, current, upstream_ref(entry))
    return False


def ensure_image(client, entry: Image, progress: Progress, force: bool = False, online: bool = False) -> str:
    """Make sure `entry` exists with the current recipe. Returns "kept", "pulled" or "built".
    `online`: an entry with an upstream is pulled by its digest instead of made here."""
    base_id = existing(client, image(entry.base).ref).id if entry.base else ""
    recipe = recipe_hash(entry, base_id)
    current = existing(client, entry.ref)
    online = online and bool(entry.upstream)
    if current is not None and not force and keeps(client, entry, current, recipe, online):
        return "kept"
    if online:
        pulled = pull_pinned(client, upstream_ref(entry), progress)
        pulled.tag(entry.repository, entry.tag)
        progress.line(f"tagged {upstream_ref(entry)} as {entry.ref}")
        return "pulled"
    labels = kit_labels(recipe)
    with timed("images", entry.ref) as result:
        if entry.how == "mmdebstrap":
            debian_base.import_base(client, entry.ref, versions.DEBIAN_SUITE, entry.packages, labels,
                                    log=progress.line)
        elif entry.how == "dockerfile":
            buildargs = {"BASE_IMAGE": image(entry.base).ref} if entry.base else {}
            stream_build(client, prepared_context(entry), entry.ref, buildargs, labels, progress)
        else:
            raise ValueError(f"unknown way to make an image: {entry.how}")
        made = existing(client, entry.ref)
        if made is not None:  # the size goes beside the build time in build/timings.json
            result["size_mb"] = round(made.attrs.get("Size", 0) / 1e6, 1)
    return "built"


def ensure_images(client, keys: list[str] | None = None, force: bool = False, online: bool = False) -> dict:
    """Every catalog image (or those of `keys`, with their bases). `online`: the way decided by
    ways.py; only then is anything pulled."""
    progress = Progress("Images")
    results = {}
    for entry in build_order(keys):
        with progress.step(f"Image {entry.ref}"):
            try:
                results[entry.ref] = ensure_image(client, entry, progress, force, online)
            except KeyboardInterrupt:
                raise DockyardError(f"interrupted while making {entry.ref} (no half-made image is tagged)",
                                    "run `dockyard prepare` again: the steps that finished come from the "
                                    "build cache, and it removes the untagged leftovers")
    return results


def created_at(stamp: str) -> float:
    """Epoch seconds of the engine's RFC 3339 time (nanoseconds cut to what Python reads)."""
    from datetime import datetime
    if not stamp:
        return 0.0
    head, _, frac = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00").timestamp()


def prune_build_leftovers(client, since: float) -> int:
    """Remove the untagged images our builds left: stages made since `since` (epoch seconds), and
    catalog images a rebuild replaced. An untagged image of the learner's made FROM a catalog image
    also inherits the recipe label, so the label alone does not decide. Returns the bytes freed."""
    import docker
    from dockyard.labels import labels_of, own_label
    freed = 0
    for img in client.images.list(filters={"dangling": True, "label": RECIPE_LABEL}):
        parent = labels_of(client, img.attrs.get("ParentId") or img.attrs.get("Parent"))
        replaced = own_label(img.labels, parent, RECIPE_LABEL)
        if replaced or created_at(img.attrs.get("Created", "")) >= since:
            try:
                client.images.remove(img.id)
                freed += img.attrs.get("Size", 0)
            except docker.errors.APIError:  # still a parent of another image: not a leftover
                pass
    return freed
