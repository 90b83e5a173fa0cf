"""The classroom image: its build context (wheels, the kit, the learner engine's first images),
made only when its recipe changed, then built on the kit's base like every catalog image."""
from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from pathlib import Path

from dockyard.display import Progress
from dockyard.errors import DockyardError
from dockyard.images import build, wheelhouse
from dockyard.images.catalog import image
from dockyard.paths import BUILD, REPO
from dockyard.timings import timed

KEY = "classroom"
# What a learner's JupyterLab needs of the checkout; /opt/dockyard in the image.
KIT_PARTS = ("src", "notebooks", "labs", "k8s-manifests", "course.yml", "pyproject.toml")
LOCK = REPO / "requirements.lock"
# The image's Python: Debian bookworm's python3. A few locked versions want a newer 3.11 patch
# release (soupsieve 4.1.3 wants 3.11.5); for those pip picks the newest that runs here.
IMAGE_PYTHON = "3.11.2"
_WRONG_PYTHON = re.compile(r"Package '([^']+)' requires a different Python")
# The images a learner's own engine starts with: what the Docker labs run, with their bases.
PRELOAD = ("busybox", "webapp", "python", "registry")


def preload_refs() -> list[str]:
    from dockyard.images.catalog import build_order
    return [entry.ref for entry in build_order(list(PRELOAD))]


def _kit_files():
    for part in KIT_PARTS:
        path = REPO / part
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" not in file.parts and ".dockyard-progress" not in file.parts \
                    and ".ipynb_checkpoints" not in file.parts:
                yield file


def recipe(client) -> str:
    """Everything the image is made of: its Dockerfile, the lock, the hub's pins, the kit's files,
    the preloaded images' IDs and the base's ID."""
    entry = image(KEY)
    digest = hashlib.sha256(build.recipe_hash(entry, build.existing(client, image(entry.base).ref).id).encode())
    digest.update(LOCK.read_bytes())
    for file in _kit_files():
        digest.update(str(file.relative_to(REPO)).encode() + b"\0" + file.read_bytes())
    for ref in preload_refs():
        digest.update(client.images.get(ref).id.encode())
    return digest.hexdigest()[:16]


def runtime_requirements() -> list[str]:
    """The kit's own dependencies (pyproject.toml), without the test, site and authoring extras."""
    import tomllib
    return list(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])


def runtime_closure(roots: list[str]) -> set[str]:
    """Normalised names of `roots` and everything they need, read from the packages installed here
    (the kit's venv, made from the lock). Pinning exactly these keeps pip from searching."""
    from importlib import metadata
    from packaging.requirements import Requirement
    seen: set[tuple[str, str]] = set()
    todo = [(Requirement(r), "") for r in roots]
    while todo:
        req, extra = todo.pop()
        name = wheelhouse.normalize(req.name)
        if req.marker and not req.marker.evaluate({"extra": extra}):
            continue
        for wanted in [""] + sorted(req.extras):
            if (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            for line in metadata.distribution(req.name).requires or []:
                todo.append((Requirement(line), wanted))
    return {name for name, _ in seen}


def locked_pins(lock: str) -> list[str]:
    """`name==version ; marker` of each locked package, without its hashes: the image gets the
    versions the host's venv runs, apart from those its Python refuses (`download`)."""
    return [line.rstrip(" \\") for line in lock.splitlines()
            if line and not line.startswith((" ", "#"))]


def relaxed(pins: list[str], name: str) -> list[str]:
    """`pins` with `name`'s version left to pip (its marker kept)."""
    out = []
    for pin in pins:
        pinned_name = pin_name(pin)
        if wheelhouse.normalize(pinned_name) == wheelhouse.normalize(name):
            _, sep, marker = pin.partition(";")
            pin = pinned_name + (f" ;{marker}" if sep else "")
        out.append(pin)
    return out


def pin_name(pin: str) -> str:
    """The project name of a `name==version ; marker` line (wheelhouse.pinned reads the pin)."""
    return wheelhouse.pinned(pin.partition(";")[0])[0]


def download(pins: list[str], wheels: Path, progress: Progress) -> None:
    """Every wheel the image installs, for its Python; what it installs is requirements.txt."""
    wheels.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        (wheels / "requirements.txt").write_text("\n".join(pins) + "\n")
        try:
            wheelhouse.fill(("-r", str(wheels / "requirements.txt")), wheels, python_version=IMAGE_PYTHON,
                            log=progress.line)
            return
        except DockyardError as err:
            wrong = _WRONG_PYTHON.search(str(err))
            if not wrong:
                raise
            progress.line(f"{wrong.group(1)}: the locked version needs a newer Python than {IMAGE_PYTHON}; "
                          "taking the newest that runs on it")
            pins = relaxed(pins, wrong.group(1))
    raise DockyardError("the classroom image's packages did not resolve for its Python",
                        "run with --debug and read pip's output")


def wheels_for(requirements: list[str], progress: Progress) -> Path:
    """The downloaded wheels, kept in the cache by what decides them: a change to the kit's code
    does not download them again."""
    from dockyard.paths import cache_dir
    key = hashlib.sha256("\n".join([IMAGE_PYTHON, *requirements]).encode()).hexdigest()[:16]
    folder = cache_dir() / "classroom-wheels" / key
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        download(requirements, folder, progress)
        (folder / ".complete").touch()
    return folder


def make_context(client, progress: Progress) -> Path:
    entry = image(KEY)
    target = BUILD / "contexts" / KEY
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(build.DOCKER_DIR / entry.context, target)
    closure = runtime_closure(runtime_requirements())
    pins = [pin for pin in locked_pins(LOCK.read_text()) if wheelhouse.normalize(pin_name(pin)) in closure]
    with timed("classroom", "wheels"):
        shutil.copytree(wheels_for(pins + list(entry.wheels), progress), target / "wheels")
    for file in _kit_files():
        dest = target / "kit" / file.relative_to(REPO)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, dest)
    with timed("classroom", "preload tar"), gzip.open(target / "preload.tar.gz", "wb", compresslevel=1) as out:
        from dockyard.bundle.save import saved_images
        for chunk in saved_images(client, preload_refs()):
            out.write(chunk)
    return target


def ensure(client, progress: Progress) -> str:
    """The classroom image with the current recipe: "kept" or "built"."""
    from dockyard.images.build import ensure_images
    ensure_images(client, [*PRELOAD])          # the preloaded images and the base, as `prepare` makes them
    entry = image(KEY)
    wanted = recipe(client)
    current = build.existing(client, entry.ref)
    if current is not None and current.labels.get(build.RECIPE_LABEL) == wanted:
        return "kept"
    with timed("classroom", f"build {entry.ref}") as result:
        context = make_context(client, progress)
        build.stream_build(client, context, entry.ref, {"BASE_IMAGE": image(entry.base).ref},
                           build.kit_labels(wanted), progress)
        made = build.existing(client, entry.ref)
        result["size_mb"] = round(made.attrs.get("Size", 0) / 1e6, 1)
    return "built"

