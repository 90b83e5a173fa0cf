"""The provisioned engine, for real: privileged containers, idempotent commands, clean-up."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from dockyard import versions
from dockyard.images import image
from dockyard.images.build import prune_build_leftovers
from dockyard.ops.cleanup import clean

pytestmark = pytest.mark.notebook  # live: a skip counts as a failure
HERE = Path(__file__).parent
DOCKYARD = [sys.executable, "-m", "dockyard.cli"]


@pytest.fixture(scope="module")
def client():
    return docker.from_env()


def test_privileged_container_starts(client):
    # Docker 20.10 asks for every capability the kernel knows; the runtime wrapper drops
    # the ones this host cannot grant, so --privileged works.
    out = client.containers.run(image("busybox").ref, ["sh", "-c", "grep CapEff /proc/self/status"],
                                privileged=True, remove=True, labels={versions.LABEL_KEY: "test"})
    effective = int(out.split()[1], 16)
    assert effective & (1 << 21), "CAP_SYS_ADMIN present in a privileged container"


def test_engine_up_twice_is_harmless():
    for _ in range(2):
        proc = subprocess.run(DOCKYARD + ["engine", "up"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert "engine ready" in proc.stdout


def test_down_engine_gets_one_clear_line():
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock")
    proc = subprocess.run(DOCKYARD + ["images"], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    # DOCKER_HOST chose that engine, so the fix names it (not `dockyard engine up`, which would
    # start the local one).
    assert len(lines) == 1 and "not running" in lines[0] and "DOCKER_HOST" in lines[0], lines


def build_outcome(events, step_id: str) -> str | None:
    """What the engine did with a build whose client went away, from its live events: "cancelled"
    when the step's container died killed, "finished" when the image got its tag (the build's last
    act); None when the stream ended first."""
    for event in events:
        attributes = event.get("Actor", {}).get("Attributes", {})
        if event.get("Type") == "container" and event.get("Action") == "die" and event.get("id") == step_id:
            if attributes.get("exitCode") != "0":
                return "cancelled"
        elif event.get("Type") == "image" and event.get("Action") == "tag" \
                and attributes.get("name") == "dockyard-test/slow:1":
            return "finished"
    return None


def test_ctrl_c_during_a_build_leaves_nothing_clean_misses(client):
    workshop = f"ctrlc{os.getpid()}"
    before = {i.id for i in client.images.list(all=True)}
    started = time.time() - 1
    code = (
        "import docker\n"
        "from dockyard.images.build import stream_build\n"
        "from dockyard.display import Progress\n"
        "from pathlib import Path\n"
        f"stream_build(docker.from_env(), Path({str(HERE / 'slow-build')!r}), 'dockyard-test/slow:1',\n"
        f"  {{'BASE_IMAGE': {image('base').ref!r}, 'RUN_ID': {workshop!r}}}, {{'{versions.LABEL_KEY}': {workshop!r}}}, Progress())\n")
    proc = subprocess.Popen([sys.executable, "-u", "-c", code], stdout=subprocess.DEVNULL)

    def sleeping():  # the build's container for the `RUN sleep 30` step
        return [c for c in client.containers.list(all=True)
                if "sleep 30" in " ".join(c.attrs["Config"]["Cmd"] or [])]

    deadline = time.time() + 120
    while not sleeping() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    step = sleeping()
    assert step, "the build reached its slow step"
    # Listen before the interrupt: the engine keeps only its last 256 events, and on a busy engine
    # the step's end can be gone from them by the time it is asked (seen in a run).
    events = client.events(decode=True, until=time.time() + 150, filters={"type": ["container", "image"]})
    time.sleep(2)  # inside the sleeping RUN step
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    outcome = build_outcome(events, step[0].id)
    assert outcome in ("cancelled", "finished"), "the engine neither stopped nor finished the build in 2 min"

    # Only this build's images: others may build on the same engine meanwhile. Each step's image
    # records its instruction, and every step after `ARG RUN_ID` names this run's id.
    def ours():
        return [i for i in client.images.list(all=True)
                if i.id not in before and workshop in " ".join(i.attrs.get("ContainerConfig", {}).get("Cmd") or [])]
    left = ours()
    assert left, "the first RUN step made an image before the interrupt (else this proves nothing)"
    # The engine stops the build, leaving untagged steps, or, when it does not notice that the client
    # left (seen on a busy machine), finishes it: a whole image, with the workshop's label.
    assert all(not i.tags or i.labels.get(versions.LABEL_KEY) == workshop for i in left), \
        "no half-made image under a name: untagged steps, or the finished image with its label"
    prune_build_leftovers(client, since=started)
    clean(client, workshop, log=lambda line: None)
    assert ours() == [], "what `dockyard prepare` prunes and `dockyard clean` removes covers what the build left"
