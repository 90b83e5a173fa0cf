"""`dockyard bundle save FILE`: the prepared images and kind, in one verified file."""
from __future__ import annotations

import importlib.metadata
import platform
import shutil
from pathlib import Path

from dockyard import versions
from dockyard.bundle import parts as tarparts
from dockyard.bundle.manifest import IMAGES, KIND, MANIFEST, NODE, Manifest, Part, engine_arch
from dockyard.bundle.meter import Meter
from dockyard.display import Progress
from dockyard.errors import DockyardError


def kit_version() -> str:
    return importlib.metadata.version("dockyard")


def pinned_facts() -> dict:
    from dockyard.cluster import node_image
    return {name: getattr(versions, name) for name in (*node_image.NODE_FACTS, "SPARK_VERSION")}


def image_facts(client, refs: list[str]) -> dict:
    from dockyard.images.build import RECIPE_LABEL, existing
    facts = {}
    for ref in refs:
        found = existing(client, ref)
        if found is None:
            raise DockyardError(f"{ref} is not on the engine, so it cannot go into the bundle",
                                "run `dockyard prepare` first")
        facts[ref] = {"id": found.id, "recipe": found.labels.get(RECIPE_LABEL)}
    return facts


def saved_images(client, refs: list[str]):
    """`docker save` of several images at once: layers they share are written once."""
    api = client.api
    # docker-py saves one image per call; the engine's endpoint takes several names.
    response = api._get(api._url("/images/get"), params={"names": refs}, stream=True)
    api._raise_for_status(response)
    return response.iter_content(tarparts.CHUNK)


def canonical(chunks, scratch: Path):
    """A part's filler: the engine's `docker save` stream, written the same way every time
    (parts.canonical_image_tar), unpacked in `scratch` on the way."""
    return lambda out: tarparts.canonical_image_tar(tarparts.ChunkReader(chunks()), out, scratch)


def kind_path() -> Path:
    from dockyard.cluster import kindtool
    from dockyard.host import gobuild
    cached = gobuild.program_path("kind")
    found = cached if cached.is_file() else kindtool.on_path()
    if not found:
        raise DockyardError(f"no kind {versions.KIND_VERSION} here to put into the bundle",
                            "run `dockyard prepare` first")
    return Path(found)


def node_ref(client) -> str:
    from dockyard.cluster import node_image
    from dockyard.images.build import existing
    ref = node_image.node_image_ref()
    if existing(client, ref) is None:
        raise DockyardError(f"the kit's node image {ref} is not on this engine",
                            "run `dockyard prepare --from-source` first (a bundle carries the node image "
                            "the kit builds, not kind's published one)")
    return ref


def save(client, target: Path, progress: Progress | None = None) -> Manifest:
    """Write the bundle to `target` (atomically: a partial file is renamed at the end)."""
    from dockyard.cluster.kindtool import release_platform
    from dockyard.images.catalog import catalog_refs
    progress = progress or Progress("Bundle")
    target = Path(target)
    refs = sorted(catalog_refs(prepared_only=True))
    images = image_facts(client, refs)
    node = node_ref(client)
    images_node = image_facts(client, [node])
    kind = kind_path()
    staging = target.with_name(f".{target.name}.parts")
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        sources = [(IMAGES, canonical(lambda: saved_images(client, refs), staging / "unpacked"), refs),
                   (NODE, canonical(lambda: client.images.get(node).save(chunk_size=tarparts.CHUNK, named=True),
                                    staging / "unpacked"), [node]),
                   (KIND, tarparts.copy_into(tarparts.file_chunks(kind)), [])]
        made = []
        for name, fill, inside in sources:
            with progress.step(f"Saving {name}"):
                sha, size, raw = tarparts.compress_to(fill, staging / name, Meter(progress, "saved"))
                made.append(Part(name, sha, size, raw, inside))
                progress.line(f"{name}: {raw / 1e6:.0f} MB → {size / 1e6:.0f} MB")
        os_name, cpu = release_platform()
        manifest = Manifest(kit_version(), engine_arch(client.info()["Architecture"]), f"{os_name}/{cpu}",
                            pinned_facts(), {**images, **images_node}, node, made)
        (staging / MANIFEST).write_bytes(manifest.to_json())
        with progress.step("Writing the bundle"):
            tarparts.write_tar(partial, [(MANIFEST, staging / MANIFEST)] + [(p.name, staging / p.name) for p in made])
            partial.replace(target)
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        partial.unlink(missing_ok=True)
