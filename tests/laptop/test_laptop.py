"""Issue #11, "It must prove itself here": the kit on a laptop that never saw it.

The laptop is simulated on this machine, beside the main engine and its cluster, which must come
out untouched:
- a second engine with an empty data root (tests/support/second_engine.py);
- Docker Hub stood in for by a registry on 127.0.0.1 whose content are stand-ins under the
  upstream names: the kit's base image as `debian:bookworm-slim`, the kit's node image as
  `kindest/node:v1.34.0` (tests/support/mirror.py); the second engine has it as its mirror;
- a learner account with no Go, no mmdebstrap, no access to root's Python, and kind on PATH (a
  learner who installed kind; there is no internet here for the kit to download it)
  (tests/support/learner.py).
As that learner, in a clone of the kit: `make venv`, `dockyard prepare --online`, then notebooks
00-start-here, 04-containers, 12-pods and lab 01-docker-basics through the kit's own pytest
tests. Every step's time goes to the `laptop` section of build/timings.json.

DOCKYARD_LAPTOP_SOURCE / DOCKYARD_LAPTOP_WORKTREE=1: clone another source, or lay this checkout's
uncommitted changes over the clone (development only: CI runs committed code).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from dockyard import timings
from dockyard.host.gobuild import program_path
from support.hostcheck import KIND_LABEL, MainEngineState, main_cluster_ready_nodes, main_docker
from support.learner import Learner
from support.mirror import RegistryMirror
from support import steps
from support.steps import junit_cases, tail

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build" / "laptop"
DEBIAN_UPSTREAM = "debian:bookworm-slim"
NODE_UPSTREAM = "kindest/node:v1.34.0"
DEBIAN_SOURCE = "dockyard/debian:bookworm"
NODE_REPOSITORY = "dockyard/kind-node"
CLUSTER = "dockyard"
NODEPORT_HOST_OFFSET = 100            # the learner's NodePorts: 127.0.0.1:30180-30189
NOTEBOOKS = ("00-start-here", "04-containers", "12-pods")
LAB = "01-docker-basics"

pytestmark = pytest.mark.notebook      # a skip counts as a failure (tests/conftest.py)


def step(name: str, **extra):
    return steps.step("laptop", name, **extra)


def newest_node_image() -> str:
    """The newest tag of the kit's node image on the main engine (`docker images` lists newest first)."""
    tags = main_docker("images", NODE_REPOSITORY, "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    tags = [t for t in tags if not t.endswith(":<none>")]
    if not tags:
        pytest.fail(f"no {NODE_REPOSITORY} image on the main engine: run `make prepare` first", pytrace=False)
    return tags[0]


# -- the machine: main engine state, learner, mirror, second engine ------------------------------

@pytest.fixture(scope="module")
def main_before():
    state = MainEngineState.now(CLUSTER)
    if len(state.cluster_nodes) != 3 or main_cluster_ready_nodes(CLUSTER) != 3:
        pytest.fail(f"the main cluster {CLUSTER} is not up with 3 Ready nodes: run `make prepare` first",
                    pytrace=False)
    return state


@pytest.fixture(scope="module")
def learner():
    with Learner() as account:
        yield account
    assert account.leftovers() == [], account.leftovers()


@pytest.fixture(scope="module")
def mirror():
    with RegistryMirror() as registry:
        with step("seed debian:bookworm-slim (dockyard/debian:bookworm)"):
            registry.seed(DEBIAN_SOURCE, DEBIAN_UPSTREAM)
        node_source = newest_node_image()
        with step(f"seed kindest/node:v1.34.0 ({node_source})"):
            registry.seed(node_source, NODE_UPSTREAM)
        OUT.mkdir(parents=True, exist_ok=True)   # a clean clone has no build/ yet
        (OUT / "stand-ins.json").write_text(json.dumps(
            {k: {"pinned": s.pinned, "source": s.source, "image_id": s.image_id, "seconds": round(s.seconds, 1)}
             for k, s in registry.stand_ins.items()}, indent=2))
        yield registry
    assert registry.leftovers() == [], registry.leftovers()


ENGINES = []   # the second engine, so its stop time is recorded after it stopped


@pytest.fixture(scope="module")
def second_engine_options(mirror, learner):
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / "second-dockerd.log"
    log.unlink(missing_ok=True)
    yield {"mirrors": (mirror.url,), "group": learner.group, "log_path": log}
    for engine in ENGINES:   # torn down after second_engine, which depends on this fixture
        if "stop" in engine.timings:
            timings.record("laptop", "second engine stop (teardown)", engine.timings["stop"])


@pytest.fixture(scope="module")
def laptop(learner, mirror, second_engine):
    """The learner's environment pointed at the second engine; the learner's cluster goes first at the end."""
    debian, node = mirror.stand_ins[DEBIAN_UPSTREAM], mirror.stand_ins[NODE_UPSTREAM]
    timings.record("laptop", "second engine start", second_engine.timings["start"])
    ENGINES.append(second_engine)
    learner.extra_env = {
        **second_engine.env(),
        "DOCKYARD_DEBIAN_IMAGE": debian.pinned,
        "DOCKYARD_KIND_NODE_IMAGE": node.pinned,
        "DOCKYARD_NODEPORT_HOST_OFFSET": str(NODEPORT_HOST_OFFSET),
    }
    learner.install_program(program_path("kind"))   # root's kind, built by the main prepare
    yield learner
    with step("delete the learner's cluster"):
        learner.run(["kind", "delete", "cluster", "--name", CLUSTER], cwd=learner.home, timeout=300)


# -- the test ------------------------------------------------------------------------------------

def test_a_laptop_that_never_saw_the_kit(main_before, mirror, second_engine, laptop):
    learner, engine = laptop, second_engine
    debian, node = mirror.stand_ins[DEBIAN_UPSTREAM], mirror.stand_ins[NODE_UPSTREAM]
    for log in ("venv.log", "prepare.log", "notebooks.log"):
        (OUT / log).unlink(missing_ok=True)

    # The engine reaches "Docker Hub" only through the mirror, by digest; then it is emptied again.
    assert mirror.has(DEBIAN_UPSTREAM, debian.digest) and mirror.has(NODE_UPSTREAM, node.digest)
    with step("pull debian stand-in through the mirror"):
        engine.docker("pull", debian.pinned)
    pulled_id = engine.docker("image", "inspect", "--format", "{{.Id}}", debian.pinned).stdout.strip()
    assert pulled_id == debian.image_id, "the pulled image is the stand-in"
    engine.docker("rmi", debian.pinned)
    assert engine.client().info()["Images"] == 0, "the laptop's engine starts with no image"

    # The learner: no Go, no mmdebstrap, the system's Python, kind installed, the engine reachable.
    assert learner.which("go") == "" and learner.which("mmdebstrap") == "", "a fresh laptop has neither"
    assert learner.which("kind") == str(learner.bin / "kind")
    python = os.path.realpath(learner.which("python3"))
    assert python.startswith("/usr/bin/python3"), f"the learner's python3 is the system's, not root's: {python}"
    who = learner.run(["docker", "version", "--format", "{{.Server.Version}}"], cwd=learner.home)
    assert who.returncode == 0, f"the learner cannot use the second engine's socket: {who.stdout}"

    with step("venv (make venv)"):
        venv = learner.run(["make", "venv"], timeout=1800, log=OUT / "venv.log")
    assert venv.returncode == 0, f"make venv failed as the learner:\n{tail(venv.stdout)}"

    with step("prepare --online"):
        prepare = learner.run([".venv/bin/dockyard", "prepare", "--online"], timeout=3600, log=OUT / "prepare.log")
    if prepare.returncode != 0 and re.search(r"(no such option|unrecognized arguments).*--online", prepare.stdout):
        pytest.fail("`dockyard prepare --online` does not exist yet (the product side of issue #11); "
                    f"its output:\n{tail(prepare.stdout, 10)}", pytrace=False)
    copy_learner_timings(learner, prefix="prepare")
    assert prepare.returncode == 0, f"dockyard prepare --online failed as the learner:\n{tail(prepare.stdout)}"

    # No Go build and no mmdebstrap: nothing of theirs in the learner's caches, and the prepare pulled.
    traces = [str(p) for p in (learner.cache / "dockyard" / "go", learner.cache / "dockyard" / "gobuild",
                               learner.cache / "go-build", learner.home / "go")
              if p.exists()]
    traces += [str(p) for p in learner.home.rglob("*rootfs*.tar")]
    assert not traces, f"a Go build or mmdebstrap left these: {traces}"
    assert "mmdebstrap" not in prepare.stdout and "go build" not in prepare.stdout
    assert re.search(r"\bpull(ed|ing)\b", prepare.stdout), "the prepare output says nothing was pulled"

    # Ctrl-C while `cluster up` creates the cluster: the half-made cluster goes, in one line, and the
    # next `cluster up` makes it whole (the checks below look at that second cluster).
    label = {"label": f"{KIND_LABEL}={CLUSTER}"}
    with step("kind delete cluster"):
        learner.run(["kind", "delete", "cluster", "--name", CLUSTER], cwd=learner.home, timeout=300, check=True)
    assert engine.client().containers.list(all=True, filters=label) == []
    with step("cluster up, Ctrl-C once its first node exists"):
        # the low-level listing: a model list inspects each container, which kind may just have removed
        stopped = learner.interrupt_when([".venv/bin/dockyard", "cluster", "up"],
                                         lambda: engine.client().api.containers(all=True, filters=label))
    said = [line for line in stopped.stdout.splitlines() if line.startswith("✗")]
    assert stopped.returncode != 0 and len(said) == 1 and "interrupted; the half-made cluster was removed" in said[0], \
        tail(stopped.stdout)
    assert engine.client().api.containers(all=True, filters=label) == [], "a node of the interrupted cluster is left"
    assert not learner.kubeconfig.exists() or f"kind-{CLUSTER}" not in learner.kubeconfig.read_text(), \
        "its kubeconfig context is left"
    with step("cluster up after the interrupted one"):
        again = learner.run([".venv/bin/dockyard", "cluster", "up"], timeout=900)
    assert again.returncode == 0, f"cluster up after Ctrl-C failed:\n{tail(again.stdout)}"

    # The base on the laptop's engine is the Debian stand-in, the kind nodes run the node stand-in.
    base_ref = learner.run([".venv/bin/python", "-c",
                            "from dockyard.images.catalog import image; print(image('base').ref)"]).stdout.strip()
    base_id = engine.docker("image", "inspect", "--format", "{{.Id}}", base_ref).stdout.strip()
    assert base_id == debian.image_id, f"{base_ref} on the laptop is {base_id}, not the stand-in {debian.image_id}"
    nodes = engine.client().containers.list(all=True, filters={"label": f"{KIND_LABEL}={CLUSTER}"})
    assert len(nodes) == 3 and all(c.status == "running" for c in nodes), [(c.name, c.status) for c in nodes]
    assert {c.attrs["Image"] for c in nodes} == {node.image_id}, "the kind nodes run the node stand-in"
    host_ports = {int(b["HostPort"]) for c in nodes for bindings in (c.ports or {}).values() for b in bindings or []
                  if b.get("HostIp") == "127.0.0.1"}
    first = 30080 + NODEPORT_HOST_OFFSET
    assert set(range(first, first + 10)) <= host_ports, f"NodePorts on 127.0.0.1:{first}-{first + 9}: {host_ports}"
    ready = learner.run(["kubectl", "--context", f"kind-{CLUSTER}", "get", "nodes", "--no-headers"], cwd=learner.home)
    assert sum(1 for line in ready.stdout.splitlines() if " Ready " in line) == 3, ready.stdout

    # The notebooks and the lab, through the kit's own tests, as the learner runs them.
    junit = learner.home / "junit.xml"
    selection = " or ".join(NOTEBOOKS) + " or test_lab_with_solutions or test_lab_without_solutions"
    with step("notebooks and lab (pytest)"):
        run = learner.run([".venv/bin/python", "-m", "pytest", "tests/notebooks/test_notebooks.py",
                           "tests/labs/test_labs.py", "-k", selection, "-v", "-p", "no:cacheprovider",
                           "--timeout=1500", f"--junitxml={junit}"],
                          env=learner.env(DOCKYARD_LABS=f"{LAB}.ipynb"), timeout=3600, log=OUT / "notebooks.log")
    cases = junit_cases(junit)
    for name, (seconds, outcome) in cases.items():
        timings.record("laptop", f"test {name}", seconds, passed=outcome == "passed")
    copy_learner_timings(learner, prefix="run", sections=("notebooks",))
    expected = len(NOTEBOOKS) + 2
    assert run.returncode == 0 and len(cases) == expected and all(o == "passed" for _, o in cases.values()), \
        f"{len(cases)} of {expected} ran: {cases}\n{tail(run.stdout)}"

    # The main engine and the main cluster are as they were.
    assert MainEngineState.now(CLUSTER) == main_before, "the main engine's cluster nodes or networking changed"
    assert main_cluster_ready_nodes(CLUSTER) == 3, "the main cluster stopped answering"


def copy_learner_timings(learner: Learner, prefix: str, sections: tuple[str, ...] | None = None) -> None:
    """The learner's own build/timings.json (venv, images, cluster steps…) under `laptop`."""
    path = learner.repo / "build" / "timings.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    for section, items in sorted(data.items()):
        if sections and section not in sections:
            continue
        for name, info in items.items():
            extra = {k: v for k, v in info.items() if k in ("passed",)}
            timings.record("laptop", f"{prefix}: {section}: {name}", info.get("seconds", 0), **extra)
