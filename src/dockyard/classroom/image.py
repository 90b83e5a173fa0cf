"""The classroom image: its build context (wheels, the kit, the learner engine's first images),
made only when its recipe changed, then built on the kit's base like every catalog image."""
from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from pathlib import Path

from ..display import Progress
from ..errors import DockyardError
from ..images import build, wheelhouse
from ..images.catalog import image
from ..paths import BUILD, REPO
from ..timings import timed

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
    from ..images.catalog import build_order
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


def locked_pins(lock: str) -> list[str]:
    """`name==version ; marker` of each locked package, without its hashes: as constraints, the image
    gets the versions the host's venv runs, apart from those its Python refuses (`download`)."""
    return [line.rstrip(" \\") for line in lock.splitlines()
            if line and not line.startswith((" ", "#"))]


def relaxed(pins: list[str], name: str) -> list[str]:
    """`pins` with `name`'s version left to pip (its marker kept)."""
    norm = wheelhouse.normalize
    out = []
    for pin in pins:
        requirement, sep, marker = pin.partition(";")
        if norm(requirement.split("==")[0].strip()) == norm(name):
            pin = requirement.split("==")[0].strip() + (f" ;{marker}" if sep else "")
        out.append(pin)
    return out


def download(requirements: list[str], pins: list[str], wheels: Path, progress: Progress) -> None:
    """Every wheel the image installs, for its Python: requirements.txt held to constraints.txt."""
    wheels.mkdir(parents=True, exist_ok=True)
    (wheels / "requirements.txt").write_text("\n".join(requirements) + "\n")
    for _ in range(10):
        (wheels / "constraints.txt").write_text("\n".join(pins) + "\n")
        try:
            wheelhouse.fill(("-r", str(wheels / "requirements.txt"), "-c", str(wheels / "constraints.txt")),
                            wheels, python_version=IMAGE_PYTHON, log=progress.line)
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


def make_context(client, progress: Progress) -> Path:
    entry = image(KEY)
    target = BUILD / "contexts" / KEY
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(build.DOCKER_DIR / entry.context, target)
    wheels = target / "wheels"
    with timed("classroom", "wheels"):
        download(runtime_requirements() + list(entry.wheels), locked_pins(LOCK.read_text()), wheels, progress)
    for file in _kit_files():
        dest = target / "kit" / file.relative_to(REPO)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, dest)
    with timed("classroom", "preload tar"), gzip.open(target / "preload.tar.gz", "wb", compresslevel=1) as out:
        from ..bundle.save import saved_images
        for chunk in saved_images(client, preload_refs()):
            out.write(chunk)
    return target


def ensure(client, progress: Progress) -> str:
    """The classroom image with the current recipe: "kept" or "built"."""
    from ..images.build import ensure_images
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

