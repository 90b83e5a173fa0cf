"""Ctrl-C while a cluster is being made: the half-made cluster is removed and the line says what to
run next. A cluster of its own name beside the kit's (its NodePorts moved, its kubeconfig apart)."""
import os
import signal
import subprocess
import sys
import time

import docker
import pytest

from dockyard import versions
from dockyard.cluster import node_image

pytestmark = pytest.mark.cluster  # live: a skip counts as a failure
NAME = "dyctrlc"
CREATE = (
    "from dockyard.cluster import kind\n"
    "from dockyard.display import Progress\n"
    "from dockyard.engine import connect\n"
    "from dockyard.errors import DockyardError\n"
    "try:\n"
    f"    kind.create(connect(), {node_image.node_image_ref()!r}, Progress('test'), name={NAME!r})\n"
    "except DockyardError as err:\n"
    "    print(f'✗ {err}', flush=True)\n"
    "    raise SystemExit(1)\n")


def nodes(client) -> list[str]:
    """The half-made cluster's node containers, by name (listed without inspecting each: kind and
    the kit remove them while we look)."""
    found = client.api.containers(all=True, filters={"label": f"{versions.KIND_CLUSTER_LABEL}={NAME}"})
    return [c["Names"][0].lstrip("/") for c in found]


def test_ctrl_c_during_cluster_creation_removes_the_half_made_cluster(tmp_path):
    client = docker.from_env()
    env = dict(os.environ, KUBECONFIG=str(tmp_path / "kubeconfig"), DOCKYARD_NODEPORT_HOST_OFFSET="300")
    proc = subprocess.Popen([sys.executable, "-u", "-c", CREATE], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    left = ["(not checked)"]
    try:
        deadline = time.monotonic() + 180
        while not nodes(client) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert nodes(client), "kind made the node containers"
        time.sleep(3)   # in the middle of making it
        proc.send_signal(signal.SIGINT)
        said = proc.communicate(timeout=180)[0]
        left = nodes(client)
    finally:
        if proc.poll() is None:
            proc.kill()
        for node in nodes(client):   # only if the kit failed to: the test itself leaves nothing
            client.api.remove_container(node, force=True, v=True)
    assert proc.returncode == 1, said[-1500:]
    last = said.strip().splitlines()[-1]
    assert "interrupted; the half-made cluster was removed" in last and "dockyard cluster up" in last, last
    assert left == [], f"node containers of the half-made cluster left: {left}"
