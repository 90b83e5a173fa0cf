"""Faults, for real, on an engine of the test's own (the machine's engine is never touched):
each gets one line naming the fix, and nothing half-made is left that `dockyard clean` misses."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dockyard.course.run import run_parameters
from dockyard.display import Progress
from dockyard.errors import DockyardError
from dockyard.images import image
from dockyard.images.build import stream_build
from support.second_engine import SecondEngine, sh

pytestmark = pytest.mark.notebook  # live: a skip counts as a failure
REPO = Path(__file__).resolve().parents[2]
DOCKYARD = [sys.executable, "-m", "dockyard.cli"]
# A range of its own, so it never meets the laptop simulation's engine.
RANGE = dict(subnet="10.214.0.0/16", bridge_address="10.214.0.1/24", pool="10.214.128.0/17")
BUSYBOX = image("busybox").ref


@pytest.fixture()
def small_disk(tmp_path):
    """A data root of 300 MB (a tmpfs: overlay2 works on it), so a build can fill it."""
    root = Path("/var/lib/dyfull-disk")
    root.mkdir(exist_ok=True)
    sh(["mount", "-t", "tmpfs", "-o", "size=300m", "tmpfs", str(root)])
    try:
        yield root
    finally:
        sh(["umount", "-l", str(root)], check=False)
        root.rmdir()


def test_a_disk_that_fills_during_a_build_is_one_line_and_leaves_no_image(small_disk, tmp_path):
    context = tmp_path / "big"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {BUSYBOX}\nRUN dd if=/dev/zero of=/big bs=1M count=400\n")
    with SecondEngine("dyfull", data_root=small_disk, log_path=tmp_path / "dockerd.log", **RANGE) as engine:
        engine.load_from_main([BUSYBOX])
        client = engine.client()
        with pytest.raises(DockyardError) as failed:
            stream_build(client, context, "dyfull/big:1", {}, {}, Progress())
        line = str(failed.value)
        assert "disk is full" in line and "docker system df" in line, line
        assert "\n" not in line
        assert not client.images.list(name="dyfull/big"), "no half-made image carries the name"
        assert not client.containers.list(all=True), "the failed step's container is gone"


def test_an_engine_killed_in_the_middle_of_a_cell_is_one_line_and_a_rerun_passes(tmp_path):
    notebook = REPO / "notebooks" / "04-containers.ipynb"
    with SecondEngine("dykill", log_path=tmp_path / "dockerd.log", **RANGE) as engine:
        engine.load_from_main([BUSYBOX])
        params = run_parameters(notebook)
        output = tmp_path / "04-killed.ipynb"
        env = dict(os.environ, DOCKER_HOST=engine.host)
        run = subprocess.Popen([sys.executable, "-m", "papermill", str(notebook), str(output), "--cwd",
                                str(notebook.parent), "-k", "dockyard", "--no-progress-bar",
                                *[x for k, v in params.items() for x in ("-p", k, str(v))]],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        client = engine.client()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not client.containers.list(filters={"name": "polite"}):
            time.sleep(0.2)
        assert client.containers.list(filters={"name": "polite"}), "the notebook reached its first container"
        os.kill(engine.dockerd_pid(), signal.SIGKILL)   # the engine dies under a running notebook
        said = run.communicate(timeout=300)[0]
        assert run.returncode != 0, "the notebook stopped"
        executed = nbformat.read(output, as_version=4)
        failed = [c for c in executed.cells if c.cell_type == "code"
                  and any(o.get("output_type") == "error" or "✗" in o.get("text", "") for o in c.outputs)]
        assert failed, said[-2000:]
        texts = "".join(o.get("text", "") for o in failed[0].outputs)
        assert "the Docker engine stopped answering" in texts and "dockyard engine up" in texts, texts
        assert not any(o.get("output_type") == "error" for o in failed[0].outputs), "one line, no traceback"

        engine.revive()   # the same data root: what the killed run left is still there
        left = [c.name for c in engine.client().containers.list(all=True)]
        assert left, "the killed run left containers (the rerun must cope with them)"
        rerun = subprocess.run([sys.executable, "-m", "papermill", str(notebook), str(tmp_path / "04-rerun.ipynb"),
                                "--cwd", str(notebook.parent), "-k", "dockyard", "--no-progress-bar",
                                *[x for k, v in params.items() for x in ("-p", k, str(v))]],
                               env=env, capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
        # No kubeconfig: this `clean` is for the test's engine only, never the main cluster's namespaces,
        # where the other test lane runs at the same time.
        alone = {**env, "KUBECONFIG": str(tmp_path / "no-kubeconfig")}
        cleaned = subprocess.run([*DOCKYARD, "clean"], env=alone, capture_output=True, text=True, timeout=120)
        assert cleaned.returncode == 0, cleaned.stderr
        assert not engine.client().containers.list(all=True), "clean removed what the killed run left"
