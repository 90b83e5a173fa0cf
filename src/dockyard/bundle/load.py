"""`dockyard bundle load FILE|URL`: check every part, then load the images and place kind.

A URL is streamed to the kit's cache and checked as it arrives (a refusal stops the download);
then the file is checked again from its first byte, so a file and a URL take one path. Nothing is
loaded before every part matched the manifest, and a load that fails half-way takes back what it
loaded, so `prepare` never meets half a bundle.
"""
from __future__ import annotations

import gzip
import tarfile
import urllib.request
from pathlib import Path
from typing import BinaryIO, Callable

from dockyard.bundle import parts as tarparts
from dockyard.bundle.manifest import IMAGES, KIND, MANIFEST, NODE, Manifest, engine_arch, refusal
from dockyard.bundle.meter import Meter
from dockyard.display import Progress
from dockyard.errors import DockyardError

DOWNLOAD_TIMEOUT = 60   # seconds without a byte before the download counts as failed
AGAIN = "save it again with this kit (`dockyard bundle save FILE`) on a machine like this one"
COPY_AGAIN = "copy or download it again; if that one is refused too, save it again (`dockyard bundle save FILE`)"


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def expected_recipes(manifest: Manifest) -> dict:
    """The recipe this checkout gives each catalog image on the bundle's own bases. A base pulled
    by its digest (the online way) carries no recipe, and none is asked of it."""
    from dockyard.images.build import recipe_hash
    from dockyard.images.catalog import CATALOG, image
    out = {}
    for entry in (e for e in CATALOG.values() if not e.on_demand):
        saved = manifest.images.get(entry.ref, {})
        base_id = manifest.images.get(image(entry.base).ref, {}).get("id", "") if entry.base else ""
        out[entry.ref] = None if (entry.upstream and saved and saved.get("recipe") is None) \
            else recipe_hash(entry, base_id)
    return out


def refusal_here(client) -> Callable[[Manifest], str | None]:
    from dockyard.bundle.save import kit_version
    from dockyard.cluster.node_image import node_image_ref
    arch = engine_arch(client.info()["Architecture"])
    return lambda m: refusal(m, arch, kit_version(), expected_recipes(m), node_image_ref())


def refused(source: str, why: str, fix: str = AGAIN) -> DockyardError:
    return DockyardError(f"refused {source}: {why}; nothing was loaded", fix)


def verified(stream: BinaryIO, source: str, check: Callable[[Manifest], str | None],
             on_bytes: Callable[[int], None] = lambda n: None) -> Manifest:
    """Read a bundle from `stream` to its end; its manifest, once every part matched it."""
    manifest, seen = None, set()
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                data = tar.extractfile(member)
                if manifest is None:
                    if member.name != MANIFEST:
                        raise refused(source, f"it does not start with {MANIFEST}, so it is no dockyard bundle")
                    try:
                        manifest = Manifest.from_json(data.read())
                    except (ValueError, TypeError, KeyError) as exc:
                        raise refused(source, f"its manifest cannot be read ({exc})") from None
                    why = check(manifest)
                    if why:
                        raise refused(source, why)
                    continue
                expected = next((p for p in manifest.parts if p.name == member.name), None)
                if expected is None:
                    raise refused(source, f"it holds {member.name!r}, which its manifest does not name")
                sha = tarparts.copy_hashing(data, None, on_bytes)
                if sha != expected.sha256 or member.size != expected.size:
                    raise refused(source, f"its part {member.name} is damaged (sha256 {sha[:12]}…, "
                                          f"the manifest says {expected.sha256[:12]}…)", COPY_AGAIN)
                seen.add(member.name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise refused(source, f"it is not a complete tar ({exc})", COPY_AGAIN) from None
    if manifest is None:
        raise refused(source, "it is empty")
    missing = [p.name for p in manifest.parts if p.name not in seen]
    if missing:
        raise refused(source, f"it ends before {', '.join(missing)}", COPY_AGAIN)
    return manifest


class Tee:
    """A readable stream that also writes what is read to `out`."""

    def __init__(self, source: BinaryIO, out: BinaryIO):
        self.source, self.out = source, out

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.out.write(data)
        return data


def download(url: str, check, progress: Progress) -> Path:
    """Stream `url` into the cache, checking it as it arrives; the file, once whole and checked."""
    from dockyard.paths import cache_dir
    folder = cache_dir() / "bundles"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (Path(url.split("?")[0]).name or "workshop.dockyard")
    partial = target.with_name(f".{target.name}.partial")
    meter = Meter(progress, "downloaded")
    try:
        with progress.step(f"Downloading {url}"), open(partial, "wb") as out, \
                urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
            tee = Tee(response, out)
            verified(tee, url, check, meter)
            tarparts.copy_hashing(tee, None)   # the tar's closing blocks, so the file is the bundle byte for byte
        partial.replace(target)
        return target
    except OSError as exc:   # the server went away, a timeout, a full disk
        raise DockyardError(f"could not download {url}: {exc}; nothing was loaded",
                            "check that `dockyard bundle serve` still runs there, then retry") from None
    finally:
        partial.unlink(missing_ok=True)


def image_ids(client, refs) -> dict:
    from dockyard.images.build import existing
    return {ref: getattr(existing(client, ref), "id", None) for ref in refs}


def take_back(client, manifest: Manifest, before: dict) -> None:
    """Undo a load that failed half-way: what it brought goes, an earlier image gets its tag back."""
    import docker
    now = image_ids(client, manifest.images)
    for ref, new in now.items():
        if new is None or new == before.get(ref) or new != manifest.images[ref]["id"]:
            continue
        try:
            if before.get(ref):
                client.images.get(before[ref]).tag(*ref.rsplit(":", 1))
            else:
                client.images.remove(ref)
        except docker.errors.APIError:
            pass


def apply(client, path: Path, manifest: Manifest, progress: Progress) -> dict:
    """Load the checked bundle at `path`; what changed, for the summary."""
    from dockyard.cluster.kindtool import release_platform
    from dockyard.host.gobuild import program_path
    before = image_ids(client, manifest.images)
    kind_target = program_path("kind")
    kind_before = kind_target.exists()
    result = {"images": len(manifest.images), "kind": ""}
    try:
        with tarfile.open(path, "r:") as tar:
            for name in (IMAGES, NODE):
                with progress.step(f"Loading {name} into the engine"):
                    stream = tar.extractfile(name)
                    meter = Meter(progress, "loaded")
                    client.images.load(_chunks(stream, meter))   # the engine reads gzip itself
            here = "/".join(release_platform())
            if manifest.kind_platform != here:
                result["kind"] = f"the bundle's kind is for {manifest.kind_platform}, this machine is {here}"
            else:
                with progress.step("Placing kind"):
                    unpacked = path.with_name(f".{path.name}.kind")
                    try:
                        with gzip.open(tar.extractfile(KIND)) as src, open(unpacked, "wb") as out:
                            tarparts.copy_hashing(src, out)
                        tarparts.place(unpacked, kind_target)
                    finally:
                        unpacked.unlink(missing_ok=True)
                result["kind"] = str(kind_target)
        wrong = {ref: i for ref, i in image_ids(client, manifest.images).items() if i != manifest.images[ref]["id"]}
        if wrong:
            raise DockyardError(f"after loading, {', '.join(wrong)} is not the image the bundle names",
                                "retry `dockyard bundle load`; if it fails again, save the bundle again")
        return result
    except BaseException:
        take_back(client, manifest, before)
        if not kind_before:
            kind_target.unlink(missing_ok=True)
        raise


def _chunks(stream: BinaryIO, on_bytes):
    for chunk in iter(lambda: stream.read(tarparts.CHUNK), b""):
        on_bytes(len(chunk))
        yield chunk


def load(client, source: str, progress: Progress | None = None) -> tuple[Manifest, dict]:
    progress = progress or Progress("Bundle")
    check = refusal_here(client)
    fetched = None
    if is_url(source):
        fetched = path = download(source, check, progress)
    else:
        path = Path(source)
        if not path.is_file():
            raise DockyardError(f"there is no bundle file {source}", "name the file `dockyard bundle save` wrote, or its URL")
    try:
        with progress.step(f"Checking {path.name}"), open(path, "rb") as f:
            manifest = verified(f, source, check, Meter(progress, "checked"))
        return manifest, apply(client, path, manifest, progress)
    finally:
        if fetched is not None:
            fetched.unlink(missing_ok=True)   # a transfer copy; the URL still has it
