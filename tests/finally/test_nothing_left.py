"""After every live test: `dockyard clean` finds nothing of ours (kit images and the cluster aside)."""
import time

import docker
import pytest

from dockyard import versions
from dockyard.kube import api_client_or_none
from dockyard.ops.cleanup import find

pytestmark = pytest.mark.notebook  # live: a skip counts as a failure


def test_no_container_network_volume_or_image_is_left():
    left = [f"{f.kind} {f.name}" for f in find(docker.from_env())]
    assert left == [], f"left behind: {left}"


def test_no_namespace_of_ours_is_left():
    from kubernetes import client
    api = api_client_or_none()
    assert api is not None, "the cluster answers"
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + 120  # namespaces take a while to finish Terminating
    while True:
        names = [n.metadata.name for n in core.list_namespace(label_selector=versions.LABEL_KEY).items]
        if not names or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert names == [], f"namespaces left: {names}"
