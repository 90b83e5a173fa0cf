"""Every image the kit uses: its name, tag, build context and how it is made.

Notebooks refer to images only through this catalog (`image("python").ref`), so a tag
is spelled once. `how` is one of:
  mmdebstrap  a Debian root filesystem from the machine's apt sources, `docker import`ed
  dockerfile  `docker build` of docker/<context> with ARG BASE_IMAGE = the `base` entry
On the online way (ways.py) the one entry with an `upstream`, the base, is pulled by that digest
and tagged as `ref` instead; every other image is still built on it from our Dockerfile.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from dockyard import versions
@dataclass(frozen=True)
class Image:
    key: str
    repository: str
    tag: str
    how: str
    context: str = ""             # folder under docker/
    base: str = ""                # catalog key passed as BASE_IMAGE
    upstream: str = ""            # pulled instead on the online way; pinned by digest
    packages: tuple = ()          # Debian packages (mmdebstrap --include)
    wheels: tuple = ()            # Python requirements served from the host's wheelhouse
    extra: dict = field(default_factory=dict, hash=False)
    on_demand: bool = False       # made only by the command that needs it, not by `prepare`

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"


_ENTRIES = [
    Image("base", "dockyard/debian", versions.DEBIAN_SUITE, "mmdebstrap",
          upstream=versions.DEBIAN_SLIM_IMAGE, packages=("ca-certificates",)),
    Image("busybox", "dockyard/busybox", "1.35", "dockerfile", context="busybox", base="base"),
    Image("python", "dockyard/python", "3.11", "dockerfile", context="python", base="base",
          wheels=("flask==3.1.2",)),
    Image("registry", "dockyard/registry", "2.8", "dockerfile", context="registry", base="base"),
    Image("node", "dockyard/node", "18", "dockerfile", context="node", base="base"),
    Image("docker-daemon", "dockyard/docker-daemon", "20.10", "dockerfile", context="docker-daemon",
          base="base"),
    Image("webapp", "dockyard/webapp", "1", "dockerfile", context="webapp", base="busybox"),
    Image("spark", "dockyard/spark", versions.SPARK_VERSION, "dockerfile", context="spark", base="base",
          wheels=(f"pyspark=={versions.SPARK_VERSION}",)),
    # The hub and every learner's JupyterLab in a classroom (classroom/): the kit's locked packages,
    # JupyterHub with KubeSpawner, the kit itself and the images a learner's own engine starts with.
    Image("classroom", "dockyard/classroom", "1", "dockerfile", context="classroom", base="base",
          wheels=(f"jupyterhub=={versions.JUPYTERHUB_VERSION}",
                  f"jupyterhub-kubespawner=={versions.KUBESPAWNER_VERSION}"),
          on_demand=True),
]

CATALOG: dict[str, Image] = {entry.key: entry for entry in _ENTRIES}


def image(key: str) -> Image:
    try:
        return CATALOG[key]
    except KeyError:
        raise KeyError(f"no image {key!r} in the catalog; known: {', '.join(CATALOG)}") from None


def build_order(keys: list[str] | None = None) -> list[Image]:
    """Entries with their bases first, each once."""
    ordered: list[Image] = []

    def visit(key: str, seen: tuple = ()) -> None:
        if key in seen:
            raise ValueError(f"image {key!r} is its own base")
        entry = image(key)
        if entry.base:
            visit(entry.base, seen + (key,))
        if entry not in ordered:
            ordered.append(entry)

    for key in keys or [key for key, entry in CATALOG.items() if not entry.on_demand]:
        visit(key)
    return ordered


def catalog_refs(prepared_only: bool = False) -> set[str]:
    """Every tag the catalog names; `prepared_only`: those `prepare` makes (what a bundle carries)."""
    return {entry.ref for entry in CATALOG.values() if not (prepared_only and entry.on_demand)}
