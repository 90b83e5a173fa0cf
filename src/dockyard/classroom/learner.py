"""A learner's server starting (`python3 -m dockyard.classroom.learner`, the command of every
learner's pod): a kubeconfig for the pod's own ServiceAccount, the course in the workspace, the first images
in the learner's engine, then JupyterHub's single-user server."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from dockyard import versions
from dockyard.classroom import room
from dockyard.errors import DockyardError
from dockyard.paths import REPO

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
PRELOAD_TAR = Path("/opt/dockyard-preload/images.tar.gz")
COURSE_PARTS = ("notebooks", "labs", "k8s-manifests", "course.yml")


def kubeconfig(server: str, account_dir: Path, namespace: str) -> dict:
    """The pod's in-cluster credentials as a kubeconfig context, so a notebook's
    `config.new_client_from_config(context=...)` is the same line in a classroom as on a laptop.
    The token is read from its file at each load: the kubelet renews it there."""
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": room.KUBE_CONTEXT,
        "clusters": [{"name": room.KUBE_CONTEXT, "cluster": {
            "server": server, "certificate-authority": str(account_dir / "ca.crt")}}],
        "users": [{"name": room.SERVICE_ACCOUNT, "user": {"tokenFile": str(account_dir / "token")}}],
        "contexts": [{"name": room.KUBE_CONTEXT, "context": {
            "cluster": room.KUBE_CONTEXT, "user": room.SERVICE_ACCOUNT, "namespace": namespace}}],
    }


def write_kubeconfig(home: Path, env=os.environ) -> Path:
    import yaml
    host, port = env["KUBERNETES_SERVICE_HOST"], env.get("KUBERNETES_SERVICE_PORT", "443")
    host = f"[{host}]" if ":" in host else host
    path = home / ".kube" / "config"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig(f"https://{host}:{port}", SERVICE_ACCOUNT_DIR,
                                              env.get(versions.NAMESPACE_ENV, "default"))))
    path.chmod(0o600)
    return path


def copy_course(workspace: Path, source: Path = REPO) -> list[Path]:
    """The course's files that are not in the workspace yet. A file the learner has is never
    replaced: their work survives a server restart and a new image."""
    added = []
    for part in COURSE_PARTS:
        origin = source / part
        files = [origin] if origin.is_file() else sorted(p for p in origin.rglob("*") if p.is_file())
        for file in files:
            target = workspace / file.relative_to(source)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)
                added.append(target)
    return added


def wait_for_engine(timeout: float = 90):
    import docker
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = docker.DockerClient(base_url=room.DOCKER_HOST, timeout=30)
            client.ping()
            return client
        except Exception as err:
            if time.monotonic() > deadline:
                raise DockyardError(f"the learner's engine did not answer on {room.DOCKER_HOST} within "
                                    f"{timeout:.0f}s ({type(err).__name__})",
                                    "look at the pod's `engine` container log") from None
            time.sleep(0.5)


def preload(client, tar: Path = PRELOAD_TAR) -> bool:
    """Load the course's images into the learner's engine, unless they are there already."""
    from dockyard.classroom.image import preload_refs
    have = {tag for img in client.images.list() for tag in img.tags}
    if all(ref in have for ref in preload_refs()) or not tar.exists():
        return False
    with tar.open("rb") as data:
        client.images.load(data)
    return True


def start(singleuser_args: list[str]) -> None:
    home = Path(os.environ.get("HOME", room.HOME))
    started = time.monotonic()
    write_kubeconfig(home)
    added = copy_course(Path(room.WORKSPACE))
    loaded = preload(wait_for_engine())
    print(f"learner-start: kubeconfig written, {len(added)} course files added, "
          f"images {'loaded' if loaded else 'already there'} ({time.monotonic() - started:.1f}s)", flush=True)
    command = shutil.which("jupyterhub-singleuser")
    os.execv(command, [command, *singleuser_args])


if __name__ == "__main__":
    import sys
    start(sys.argv[1:])    # KubeSpawner's arguments for jupyterhub-singleuser
