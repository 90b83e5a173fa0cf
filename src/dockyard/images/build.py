"""Make catalog images: skip when present and unchanged, otherwise build with a streamed log."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from .. import versions
from ..display import Progress
from ..errors import DockyardError
from ..paths import BUILD, REPO
from ..timings import timed
from . import debian_base, wheelhouse
from .catalog import Image, build_order, image

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


def try_upstream(client, entry: Image, progress: Progress) -> bool:
    """Pull the upstream image when a registry answers; tag it with our reference."""
    if not entry.upstream:
        return False
    import docker
    try:
        pulled = client.images.pull(entry.upstream)
    except docker.errors.APIError:
        return False
    pulled.tag(entry.repository, entry.tag)
    progress.line(f"pulled {entry.upstream}")
    return True


def stream_build(client, context: Path, ref: str, buildargs: dict, labels: dict, progress: Progress) -> None:
    """docker build through the low-level API, each log line to the progress display."""
    last = ""
    for chunk in client.api.build(path=str(context), tag=ref, buildargs=buildargs, labels=labels,
                                  rm=True, forcerm=True, decode=True):
        if "error" in chunk:
            raise DockyardError(f"building {ref} failed: {chunk['error'].strip()}",
                                f"fix docker/{context.name}/Dockerfile, then run `dockyard images`")
        for line in chunk.get("stream", "").splitlines():
            if line.strip():
                last = line
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


def ensure_image(client, entry: Image, progress: Progress, force: bool = False, allow_upstream: bool = True) -> str:
    """Make sure `entry` exists with the current recipe. Returns "kept", "pulled" or "built"."""
    base_id = existing(client, image(entry.base).ref).id if entry.base else ""
    recipe = recipe_hash(entry, base_id)
    current = existing(client, entry.ref)
    if current is not None and not force and (
            current.labels.get(RECIPE_LABEL) == recipe or current.labels.get(RECIPE_LABEL) is None
            and allow_upstream):
        return "kept"
    if allow_upstream and try_upstream(client, entry, progress):
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


def ensure_images(client, keys: list[str] | None = None, force: bool = False) -> dict:
    progress = Progress("Images")
    results = {}
    for entry in build_order(keys):
        with progress.step(f"Image {entry.ref}"):
            try:
                results[entry.ref] = ensure_image(client, entry, progress, force)
            except KeyboardInterrupt:
                raise DockyardError(f"interrupted while making {entry.ref}",
                                    "run `dockyard clean` to remove what it left, then `dockyard images`")
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
    from ..cleanup import own_label, labels_of
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
