"""Issue #11: the Docker notebooks and lab 1 on a current Docker Engine, the one laptops run.

Engine 29 (moby's v2 module), runc 1.3 and the buildx plugin are built here from their Go modules
(dockyard.engine.current, pins in versions.py) and started as a second engine with the shared
fixture (tests/support/second_engine.py): its own bridge br-dy29 in 10.229.0.0/16, data root,
exec root, socket, config file, and a managed containerd (Debian's 1.6, which works with it).
The catalog images the notebooks use are copied from the main engine (`docker save | docker load`),
then each notebook runs with DOCKER_HOST set to the second engine; executed copies are
build/executed/<name>-engine29.ipynb. A notebook that fails here names something that differs on
the engines learners have: the failing cell is in the executed copy.

The main engine is never touched beyond `docker save`. A cold build takes 10-20 minutes on 2 cores
(`python -m dockyard.engine.current` builds ahead); later runs find the binaries in the cache.
"""
from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

import nbformat
import papermill
import pytest

from dockyard import versions
from dockyard.course.run import execute, run_parameters
from dockyard.engine import current
from dockyard.engine.resources import CONTAINERD_SNAPSHOTTER
from dockyard.errors import DockyardError
from dockyard.host.ports import free_port
from dockyard.images.catalog import image
from dockyard.labs.lab import results_from_notebook
from dockyard.timings import record, timed
from support.second_engine import MAIN_HOST, SecondEngine, SecondEngineError

REPO = Path(__file__).resolve().parents[2]
SUFFIX = "-engine29"
# The catalog images the Docker notebooks and lab 1 use (image("...") in their code).
IMAGES = ["base", "busybox", "python", "registry", "docker-daemon", "webapp"]
NOTEBOOKS = ["00-start-here", "01-what-docker-is", "02-data", "03-architecture", "04-containers",
             "05-info", "06-exec", "07-images", "08-registry", "09-dockerfile", "demo1-web"]
LABS = ["01-docker-basics"]
# Apart from the laptop tests' engine (dysim, 10.213.0.0/16), so both may run at once. The bridge
# is named like Docker's own (br-...): demo1-web offers the room every address not on an interface
# it knows as virtual (audience.VIRTUAL_PREFIXES), and a bridge named otherwise would be offered.
ENGINE = dict(name="dy29", bridge="br-dy29", subnet="10.229.0.0/16", bridge_address="10.229.0.1/24",
              pool="10.229.128.0/17")
MIN_API = (1, 47)   # Engine 27's API, the oldest on learners' laptops; Engine 29 says 1.56

pytestmark = [pytest.mark.notebook, pytest.mark.timeout(3600)]   # a cold build comes first


def engine_config(programs: Path) -> dict:
    """What the second engine's config file adds to the fixture's: the containerd image store
    (Engine 29's default, said out loud), no ip6tables (the main engine's chains stay its own),
    the docker-proxy built beside dockerd, and plain `runc` (ours, first on dockerd's PATH) as the
    default runtime. The kit's capability filter is not needed: Engine 29 asks runc only for the
    capabilities the host can grant (moby PR #42933), and the installed filter wraps Debian's runc 1.1."""
    return {"features": {"containerd-snapshotter": True}, "ip6tables": False,
            "userland-proxy-path": str(programs / "docker-proxy"),
            "runtimes": {}, "default-runtime": "runc"}


@pytest.fixture(scope="session")
def programs() -> Path:
    try:
        with timed("engine29", "programs (found or built)"):
            return current.ensure_engine(log=lambda line: print(line, flush=True))
    except DockyardError as exc:
        pytest.fail(f"building the current engine: {exc}", pytrace=False)


@pytest.fixture(scope="module")
def engine29(programs):
    """The current engine, started as a second engine; DOCKER_HOST points at it for this module
    (papermill's kernels inherit it). Everything of it is removed at the module's end, also on
    failure, so the tests after it (the laptop's) see the machine as it was."""
    with pytest.MonkeyPatch.context() as mp:
        try:
            with SecondEngine(**ENGINE, extra_config=engine_config(programs), dockerd=str(programs / "dockerd"),
                              programs=programs) as engine:
                record("engine29", "start", engine.timings["start"])
                mp.setenv("DOCKER_HOST", engine.host)
                yield engine
        except SecondEngineError as exc:
            pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def buildx_config(programs, tmp_path_factory) -> dict:
    """A DOCKER_CONFIG of our own whose cli-plugins hold the buildx we built (the machine's CLI
    has none, and the main engine's users keep their `docker build` as it is)."""
    config = tmp_path_factory.mktemp("engine29-docker-config")
    (config / "cli-plugins").mkdir()
    (config / "cli-plugins" / "docker-buildx").symlink_to(programs / "buildx")
    return {"DOCKER_CONFIG": str(config)}


@pytest.fixture(scope="module")
def catalog_on_engine29(engine29) -> list[str]:
    """The catalog images the notebooks use, copied from the main engine in one `docker save`."""
    refs = [image(key).ref for key in IMAGES]
    absent = [ref for ref in refs if subprocess.run(["docker", "-H", MAIN_HOST, "image", "inspect", ref],
                                                    capture_output=True).returncode != 0]
    if absent:
        pytest.fail(f"not on the main engine: {', '.join(absent)} (run `dockyard images` first)", pytrace=False)
    with timed("engine29", "load catalog images"):
        engine29.load_from_main(refs)
    return refs


def docker(engine, *args, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", "-H", engine.host, *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def api_version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


# -- the engine itself ---------------------------------------------------------------------------

def test_engine_reports_its_real_version(programs, engine29):
    said = current.reported_versions(programs)
    assert versions.CURRENT_ENGINE_VERSION in said["dockerd"], said
    assert versions.CURRENT_ENGINE_RUNC_VERSION.lstrip("v") in said["runc"], said
    server = engine29.client().version()
    assert server["Version"] == versions.CURRENT_ENGINE_VERSION, server
    assert api_version(server["ApiVersion"]) >= MIN_API, server["ApiVersion"]


def test_engine_uses_the_containerd_image_store_and_our_runc(engine29):
    info = engine29.client().info()
    driver_status = dict(pair for pair in info.get("DriverStatus") or [] if len(pair) == 2)
    assert driver_status.get("driver-type") == CONTAINERD_SNAPSHOTTER, info.get("DriverStatus")
    assert info["DockerRootDir"] == str(engine29.data_root)
    # runc reports the commit we stamped: the module version (the proxy serves no git commit).
    assert info["RuncCommit"]["ID"] == versions.CURRENT_ENGINE_RUNC_VERSION, info["RuncCommit"]


def test_containers_run_publish_and_run_privileged(engine29, catalog_on_engine29):
    busybox = image("busybox").ref
    plain = docker(engine29, "run", "--rm", "--name", "dy29-plain", busybox, "sh", "-c", "ip -4 addr show eth0")
    assert plain.returncode == 0 and " 10.229.0." in plain.stdout, plain.stderr or plain.stdout
    privileged = docker(engine29, "run", "--rm", "--privileged", "--name", "dy29-privileged", busybox,
                        "sh", "-c", "mkdir -p /m && mount -t tmpfs x /m && echo mounted")
    assert privileged.returncode == 0 and "mounted" in privileged.stdout, privileged.stderr
    port = free_port()
    web = docker(engine29, "run", "-d", "--name", "dy29-web", "-p", f"127.0.0.1:{port}:8080", busybox, "sh", "-c",
                 "mkdir -p /w && echo engine29 > /w/index.html && httpd -f -p 8080 -h /w")
    assert web.returncode == 0, web.stderr
    try:
        assert b"engine29" in fetch(f"http://127.0.0.1:{port}/")
    finally:
        docker(engine29, "rm", "-f", "dy29-web")


def test_docker_build_is_buildkit(engine29, catalog_on_engine29, buildx_config, tmp_path):
    (tmp_path / "Dockerfile").write_text(f"FROM {image('busybox').ref}\nRUN echo built > /built.txt\n")
    built = docker(engine29, "build", "--progress=plain", "-t", "dy29-buildkit:1", str(tmp_path), env=buildx_config)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "#1 [internal] load build definition from Dockerfile" in built.stderr, built.stderr[-2000:]
    ran = docker(engine29, "run", "--rm", "dy29-buildkit:1", "cat", "/built.txt")
    assert ran.stdout.strip() == "built", ran.stderr
    # The containerd image store: the image ID is the digest of what the tag points at (the
    # manifest or index), not of the image's config as on Engine 20.10.
    attrs = engine29.client().api.inspect_image("dy29-buildkit:1")
    assert attrs["Id"] == attrs["Descriptor"]["digest"], attrs.get("Descriptor")
    assert attrs["Descriptor"]["mediaType"].endswith(("manifest.v1+json", "index.v1+json")), attrs["Descriptor"]
    docker(engine29, "rmi", "dy29-buildkit:1")


def fetch(url: str, tries: int = 20) -> bytes:
    import time
    for _ in range(tries):
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.read()
        except OSError:
            time.sleep(0.5)
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.read()


# -- the notebooks and the lab ----------------------------------------------------------------------

@pytest.mark.usefixtures("catalog_on_engine29")
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_on_engine29(name):
    notebook = REPO / "notebooks" / f"{name}.ipynb"
    execute(notebook, run_parameters(notebook), suffix=SUFFIX)


def lab_parameters(lab: Path, solutions: bool) -> dict:
    """As tests/labs does: the usual parameters, and a free host port for each `*_port`."""
    params = {**run_parameters(lab), "solutions": solutions}
    params.update({n: free_port() for n in papermill.inspect_notebook(str(lab)) if n.endswith("_port")})
    return params


@pytest.mark.usefixtures("catalog_on_engine29")
@pytest.mark.parametrize("solutions", [True, False], ids=["solved", "empty"])
@pytest.mark.parametrize("name", LABS)
def test_lab_on_engine29(name, solutions):
    lab = REPO / "labs" / f"{name}.ipynb"
    output = execute(lab, lab_parameters(lab, solutions), suffix=f"{SUFFIX}-{'solved' if solutions else 'empty'}")
    results = results_from_notebook(nbformat.read(output, as_version=4))
    assert results is not None, f"{lab.name} published no summary"
    if solutions:
        failing = [f"{r['exercise']}: {r['message']}" for r in results["results"] if not r["ok"]]
        assert not failing, failing
    else:
        assert not [r["exercise"] for r in results["results"] if r["ok"]], "checks pass on an empty attempt"
        assert all(r["message"].startswith("not yet: ") for r in results["results"]), results["results"]
