"""Issue #16, "It must prove itself here": a workshop in one file, carried to a machine that never
saw the kit.

The bundle is saved from this machine's prepared engine. The other machine is simulated beside
it: a second engine with an empty data root (tests/support/second_engine.py), a kit cache and a
kubeconfig of its own, and no Go on PATH. There the bundle is first fed damaged and foreign, and
refused; then loaded from the URL `bundle serve` shows and from the file; then `prepare` finds
everything in place (no build, no pull), and notebook 12 and lab 4 run on the new cluster through
the kit's own tests. Sizes and times go to the `bundle` section of build/timings.json.
"""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard import timings
from dockyard.bundle.manifest import MANIFEST, NODE, Manifest
from dockyard.bundle.parts import member_info
from dockyard.host.ports import free_port
from support.hostcheck import KIND_LABEL, MainEngineState, main_cluster_ready_nodes
from support.steps import junit_cases, step, tail

REPO = Path(__file__).resolve().parents[2]
DOCKYARD = [sys.executable, "-m", "dockyard.cli"]
CLUSTER = "dockyard"
NODEPORT_HOST_OFFSET = 200            # this machine's NodePorts: 127.0.0.1:30280-30289

pytestmark = pytest.mark.notebook      # a skip counts as a failure (tests/conftest.py)


def bundle_step(name: str, **extra):
    return step("bundle", name, **extra)


def without_go(path: str) -> str:
    return os.pathsep.join(d for d in path.split(os.pathsep) if d and not (Path(d) / "go").exists())


@dataclass
class Machine:
    """The other machine's environment: its engine, cache, kubeconfig; no Go."""
    home: Path
    env: dict

    def run(self, args: list[str], timeout: float = 1800, log: Path | None = None, **env) -> subprocess.CompletedProcess:
        proc = subprocess.run(args, cwd=REPO, env={**self.env, **env}, capture_output=True, text=True,
                              timeout=timeout)
        if log is not None:
            log.write_text(proc.stdout + proc.stderr)
        return proc

    def kind(self) -> Path | None:
        return next(iter(sorted((self.home / "cache" / "bin").glob("kind-*/kind"))), None)


@pytest.fixture(scope="module")
def main_before():
    return MainEngineState.now(CLUSTER)


@pytest.fixture(scope="module")
def bundle(out_dir, main_before) -> Path:
    """Saved once from the prepared main engine."""
    path = out_dir / "workshop.dockyard"
    path.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    with bundle_step("save") as result:
        proc = subprocess.run(DOCKYARD + ["bundle", "save", str(path)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, f"bundle save failed:\n{tail(proc.stdout + proc.stderr)}"
        result["bytes"] = path.stat().st_size
    (out_dir / "save.log").write_text(proc.stdout + proc.stderr)
    for part in read_manifest(path).parts:
        timings.record("bundle", f"part {part.name}", 0, bytes=part.size, raw_bytes=part.raw_size)
    return path


@pytest.fixture(scope="module")
def machine(second_engine, tmp_path_factory, out_dir):
    home = tmp_path_factory.mktemp("bundle-machine")
    env = {k: v for k, v in os.environ.items()
           if k not in ("KUBECONFIG", "DOCKER_CONTEXT", "DOCKYARD_KUBE_CONTEXT", "GOROOT", "GOPATH")}
    env.update(second_engine.env(), PATH=without_go(os.environ["PATH"]), DOCKYARD_CACHE=str(home / "cache"),
               KUBECONFIG=str(home / "kubeconfig"), DOCKYARD_NODEPORT_HOST_OFFSET=str(NODEPORT_HOST_OFFSET),
               DOCKYARD_TIMINGS=str(out_dir / "machine-timings.json"))
    made = Machine(home, env)
    yield made
    kind = made.kind()
    if kind is not None:
        with bundle_step("delete the machine's cluster"):
            made.run([str(kind), "delete", "cluster", "--name", CLUSTER], timeout=300)


def read_manifest(path: Path) -> Manifest:
    with tarfile.open(path) as tar:
        return Manifest.from_json(tar.extractfile(MANIFEST).read())


def refused_in_one_line(proc: subprocess.CompletedProcess, words: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and words in lines[0], (proc.returncode, proc.stderr)


def nothing_loaded(engine, machine: Machine) -> None:
    assert engine.client().images.list(all=True) == [], "the refused bundle left images on the engine"
    assert machine.kind() is None, "the refused bundle left kind in the cache"


def test_saving_twice_gives_the_same_part(tmp_path):
    """The engine's `docker save` stamps some folders with the time of the save, and picks at random
    which of two images sharing a layer holds its file (busybox and webapp share one); a part made
    again must still be the same bytes (the gzip and tar around it: tests/unit/test_bundle.py)."""
    import docker
    from dockyard.bundle.parts import compress_to
    from dockyard.bundle.save import canonical, saved_images
    from dockyard.images.catalog import image
    client = docker.from_env()
    refs = [image("busybox").ref, image("webapp").ref]
    parts = []
    for attempt in range(4):   # four saves: the engine's pick is a coin toss each time
        parts.append(compress_to(canonical(lambda: saved_images(client, refs), tmp_path / "unpacked"),
                                 tmp_path / f"{attempt}.gz"))
        time.sleep(1.1)
    assert len(set(parts)) == 1 and parts[0][2] > 1_000_000, parts


def test_a_damaged_or_foreign_bundle_is_refused(bundle, second_engine, machine, tmp_path):
    assert subprocess.run(["sh", "-c", "command -v go"], env=machine.env).returncode != 0, "no Go on PATH"
    with tarfile.open(bundle) as tar:
        node = tar.getmember(NODE)
        where = node.offset_data + node.size // 2
    with open(bundle, "r+b") as f:          # one byte flipped in the middle of the node image, then put back
        f.seek(where)
        byte = f.read(1)
        f.seek(where)
        f.write(bytes([byte[0] ^ 0xFF]))
    try:
        with bundle_step("refuse a flipped byte"):
            proc = machine.run(DOCKYARD + ["bundle", "load", str(bundle)])
    finally:
        with open(bundle, "r+b") as f:
            f.seek(where)
            f.write(byte)
    refused_in_one_line(proc, f"part {NODE} is damaged")
    nothing_loaded(second_engine, machine)

    manifest = read_manifest(bundle)
    other = "arm64" if manifest.arch == "amd64" else "amd64"
    foreign = tmp_path / "foreign.dockyard"
    data = manifest.to_json().replace(f'"arch": "{manifest.arch}"'.encode(), f'"arch": "{other}"'.encode())
    with tarfile.open(foreign, "w", format=tarfile.USTAR_FORMAT) as tar, tarfile.open(bundle) as source:
        tar.addfile(member_info(MANIFEST, len(data)), io.BytesIO(data))
        for name in [p.name for p in manifest.parts]:   # the same parts: only the manifest says "another CPU"
            member = source.getmember(name)
            tar.addfile(member_info(name, member.size), source.extractfile(member))
    proc = machine.run(DOCKYARD + ["bundle", "load", str(foreign)])
    refused_in_one_line(proc, f"the bundle is for {other} engines")
    nothing_loaded(second_engine, machine)


def test_a_machine_with_only_the_bundle_runs_the_workshop(bundle, second_engine, machine, main_before, out_dir):
    manifest = read_manifest(bundle)
    engine = second_engine

    # From the URL the presenter's `bundle serve` shows, on loopback.
    port = free_port()
    serve_log = out_dir / "serve.log"
    with open(serve_log, "w") as log:
        server = subprocess.Popen(DOCKYARD + ["bundle", "serve", str(bundle), "--port", str(port)], cwd=REPO,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/{bundle.name}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=5) as head:
                    assert int(head.headers["Content-Length"]) == bundle.stat().st_size
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, serve_log.read_text()
                time.sleep(0.3)
        with bundle_step("load from the URL (fresh engine)"):
            proc = machine.run(DOCKYARD + ["bundle", "load", url], log=out_dir / "load-url.log")
        assert proc.returncode == 0, f"bundle load URL failed:\n{tail(proc.stdout + proc.stderr)}"
    finally:
        server.send_signal(signal.SIGTERM)   # SIGINT is ignored in a background job
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:    # never left running; the returncode check below says so
            server.kill()
            server.wait()
    served = serve_log.read_text()
    assert server.returncode == 0 and "sent the bundle to 127.0.0.1" in served, served
    assert url in served, "serve shows the URL it serves"

    loaded = {ref: engine.client().images.get(ref).id for ref in manifest.images}
    assert loaded == {ref: facts["id"] for ref, facts in manifest.images.items()}, "the very images of the bundle"
    kind = machine.kind()
    assert kind is not None and subprocess.run([str(kind), "version"], capture_output=True, text=True).returncode == 0
    assert not list((machine.home / "cache" / "bundles").glob("*")), "the downloaded copy is not kept"

    with bundle_step("load from the file (again: harmless)"):
        proc = machine.run(DOCKYARD + ["bundle", "load", str(bundle)], log=out_dir / "load-file.log")
    assert proc.returncode == 0, f"bundle load FILE failed:\n{tail(proc.stdout + proc.stderr)}"

    with bundle_step("prepare (cluster up from what is here)"):
        prepare = machine.run(DOCKYARD + ["prepare"], log=out_dir / "prepare.log")
    said = prepare.stdout + prepare.stderr
    assert prepare.returncode == 0, f"prepare failed on the bundle's machine:\n{tail(said)}"
    assert "from what is here" in said and "0 built" in said, tail(said)
    assert not any(word in said for word in ("mmdebstrap", "go build", "Pulling", "downloading")), tail(said)
    nodes = engine.client().containers.list(all=True, filters={"label": f"{KIND_LABEL}={CLUSTER}"})
    assert len(nodes) == 3 and all(c.status == "running" for c in nodes), [(c.name, c.status) for c in nodes]
    assert {c.attrs["Image"] for c in nodes} == {manifest.images[manifest.node_ref]["id"]}, \
        "the nodes run the bundle's node image"

    junit = out_dir / "junit.xml"
    with bundle_step("notebook 12 and lab 4 (pytest)"):
        run = machine.run([sys.executable, "-m", "pytest", "tests/notebooks/test_notebooks.py",
                           "tests/labs/test_labs.py", "-k", "test_notebook or test_lab_with_solutions", "-v",
                           "-p", "no:cacheprovider", "--timeout=1500", f"--junitxml={junit}"],
                          log=out_dir / "notebooks.log",
                          DOCKYARD_NOTEBOOKS="12-pods.ipynb", DOCKYARD_LABS="04-kubernetes-pods.ipynb")
    cases = junit_cases(junit)
    for name, (seconds, outcome) in cases.items():
        timings.record("bundle", f"test {name}", seconds, passed=outcome == "passed")
    assert run.returncode == 0 and len(cases) == 2 and all(o == "passed" for _, o in cases.values()), \
        f"{cases}\n{tail(run.stdout)}"

    assert MainEngineState.now(CLUSTER) == main_before, "the main engine's cluster nodes or networking changed"
    assert main_cluster_ready_nodes(CLUSTER) == 3, "the main cluster stopped answering"
