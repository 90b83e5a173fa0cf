"""What a bundle says about itself, and whether this machine and this kit can take it (pure)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

FORMAT = 1
MANIFEST = "manifest.json"
IMAGES, NODE, KIND = "images.tar.gz", "node-image.tar.gz", "kind.gz"
PART_NAMES = (IMAGES, NODE, KIND)


@dataclass
class Part:
    name: str
    sha256: str
    size: int
    raw_size: int                  # before compression
    refs: list[str] = field(default_factory=list)   # the images inside, if any


@dataclass
class Manifest:
    kit_version: str
    arch: str                      # the engine's CPU, in Docker's words (amd64, arm64)
    kind_platform: str             # the kind binary's "os/arch"
    versions: dict                 # the pinned facts of versions.py
    images: dict                   # ref -> {"id": ..., "recipe": ...}
    node_ref: str
    parts: list[Part]
    format: int = FORMAT

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> "Manifest":
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            found = raw.get("format") if isinstance(raw, dict) else None
            raise ValueError(f"bundle format {found!r}, this kit reads format {FORMAT}")
        raw["parts"] = [Part(**p) for p in raw["parts"]]
        return cls(**raw)

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)


def engine_arch(machine: str) -> str:
    """Docker's name for a CPU as `docker info` reports it (x86_64 -> amd64): kind's names, which are Docker's."""
    from dockyard.cluster.kindtool import CPU_NAMES
    return CPU_NAMES.get(machine.lower(), machine.lower())


def refusal(manifest: Manifest, arch: str, kit_version: str, expected_recipes: dict,
            node_ref: str) -> str | None:
    """Why this engine and this checkout cannot use the bundle, in one line; None if they can.

    `expected_recipes`: ref -> the recipe this checkout gives that image on the bundle's bases;
    `node_ref`: the node image tag this checkout's recipe gives."""
    if manifest.arch != arch:
        return f"the bundle is for {manifest.arch} engines and this engine runs on {arch}"
    if manifest.kit_version != kit_version:
        return f"the bundle was saved by dockyard {manifest.kit_version}, this is dockyard {kit_version}"
    changed = sorted(ref for ref, recipe in expected_recipes.items()
                     if ref not in manifest.images or recipe not in (None, manifest.images[ref].get("recipe")))
    if changed:
        return f"the bundle was saved from another version of the kit: {', '.join(changed)} changed since"
    if manifest.node_ref != node_ref:
        return f"the bundle's node image is {manifest.node_ref}, this kit's recipe makes {node_ref}"
    missing = [name for name in PART_NAMES if name not in {p.name for p in manifest.parts}]
    if missing:
        return f"the bundle has no {', '.join(missing)}"
    return None
