"""The folders of src/dockyard are layers: a module imports only from its own layer or those below.

A lower layer that needs something from a higher one is the sign that a function sits in the
wrong place (as `paths.tool` once needed `cluster.gobuild`, which needs `paths`)."""
import ast
from pathlib import Path

import dockyard

PACKAGE = Path(dockyard.__file__).parent

# Lowest first. A top-level module not named here is in the base layer.
LAYERS = [
    {"base"},                  # errors, paths, display, waits, timings, versions, settings, labels, cache_check
    {"host"},                  # this machine: ports, identity, free disk and memory, Go builds
    {"engine", "images"},      # the Docker engine and the kit's images
    {"kube"},                  # kubernetes-client plumbing
    {"cluster"},               # the kind cluster and the ways to its node image
    {"ops"},                   # doctor, clean
    {"lessons", "labs"},       # what notebooks and labs import
    {"course"},                # course.yml, variants, papermill runs, the site, JupyterLab
    {"bundle", "classroom"},   # a room without network, a room on Kubernetes
    {"cli"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def layer_of(module: str) -> str:
    """dockyard.kube.pods -> kube; dockyard.errors -> base; dockyard.cli -> cli."""
    parts = module.split(".")
    if len(parts) < 2:
        return "base"
    top = parts[1]
    return top if top in RANK else "base"


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dockyard"):
            found |= {node.module} if node.module != "dockyard" else {f"dockyard.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("dockyard.")}
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_module_imports_only_its_own_layer_or_below():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = layer_of(module_name(path))
        for target in imports_of(path):
            there = layer_of(target)
            if RANK[there] > RANK[here]:
                upward.append(f"{module_name(path)} ({here}) imports {target} ({there})")
    assert not upward, "\n".join(upward)


def test_every_folder_has_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= set(RANK), folders - set(RANK)


def test_the_base_layer_imports_only_the_base():
    base = [p for p in PACKAGE.glob("*.py") if p.stem not in RANK and p.stem != "__init__"]
    assert len(base) >= 6
    for path in base:
        assert {layer_of(t) for t in imports_of(path)} <= {"base"}, path.name
