"""What each learner gets, as plain data: the pod's engine sidecar and volumes, the namespace's
ServiceAccount, RoleBinding, quota and limits. Pure, so unit tests read it; the hub's configuration
(hub_config.py) and the sizing check use it."""
from __future__ import annotations

from dockyard import versions
from dockyard.labs.lab import PROGRESS_ENV, PROGRESS_FOLDER

LEARNER_UID = 1000
HOME = "/home/learner"
WORKSPACE = f"{HOME}/work"
ENGINE_SOCKET_DIR = "/var/run/dind"
DOCKER_HOST = f"unix://{ENGINE_SOCKET_DIR}/docker.sock"
ENGINE_DATA = ".engine"                  # the learner engine's /var/lib/docker, in the workspace volume
SERVICE_ACCOUNT = "learner"
KUBE_CONTEXT = "classroom"              # the kubeconfig context a learner's server writes for itself
PRESENTER = "presenter"                 # the hub's admin user: logs in with the presenter's password
ROOM_PASSWORD_MIN, PRESENTER_PASSWORD_MIN = 8, 32   # JupyterHub's shared-password authenticator asks so
PROGRESS_SERVICE = "progress"
LEARNERS_ENV = "DOCKYARD_LEARNERS"      # on the hub: the room's learners, for the board and the cards
PROGRESS_PORT = 10101
WRITE_SCOPE = "custom:dockyard-progress:write"
READ_SCOPE = "custom:dockyard-progress:read"
ROOM_LABEL = versions.ROOM_LABEL_KEY

# One learner's share, measured (README "How far a classroom goes"): JupyterLab with a kernel, and an
# engine running a lab's containers. Requests are what the scheduler reserves; limits stop a runaway.
LAB_MEMORY = {"guarantee": "384M", "limit": "1G"}
ENGINE_MEMORY = {"request": "128Mi", "limit": "1Gi"}
CPU_REQUEST = "50m"
QUOTA = {"pods": "12", "requests.memory": "2Gi", "limits.memory": "4Gi", "requests.cpu": "2",
         "persistentvolumeclaims": "2"}
LIMIT_DEFAULTS = {"default": {"memory": "256Mi", "cpu": "500m"},
                  "defaultRequest": {"memory": "32Mi", "cpu": "10m"}}
WORKSPACE_SIZE = "5Gi"                   # the notebooks, and the engine's images and containers


def learner_names(env_value: str) -> list[str]:
    """The room's learners, as the hub's environment carries them (LEARNERS_ENV, comma-separated)."""
    return [name for name in env_value.split(",") if name]


def room_labels(room: str) -> dict:
    """Only the room's label: `dockyard clean` (the workshop label) never touches a classroom;
    `classroom down` removes it."""
    return {ROOM_LABEL: room}


def engine_sidecar(image_ref: str) -> dict:
    """The learner's own Docker engine: dockerd in a privileged container of the same pod. Its socket
    is in a shared emptyDir, owned by the learner's group, and what it publishes on 127.0.0.1 is the
    pod's loopback, which the learner's JupyterLab shares."""
    return {
        "name": "engine",
        "image": image_ref,
        "imagePullPolicy": "Never",
        "command": ["dockerd", f"--host={DOCKER_HOST}", f"--group={LEARNER_UID}"],
        "securityContext": {"privileged": True},
        "resources": {"requests": {"memory": ENGINE_MEMORY["request"], "cpu": CPU_REQUEST},
                      "limits": {"memory": ENGINE_MEMORY["limit"]}},
        # The engine's data lives in the workspace (a hidden folder): after a restart the course's
        # images are still there, and so are the learner's containers and volumes.
        "volumeMounts": [{"name": "engine-socket", "mountPath": ENGINE_SOCKET_DIR},
                         {"name": "workspace", "mountPath": "/var/lib/docker", "subPath": ENGINE_DATA}],
    }


def volumes() -> list[dict]:
    return [{"name": "engine-socket", "emptyDir": {}},
            {"name": "workspace", "persistentVolumeClaim": {"claimName": "workspace"}}]


def volume_mounts() -> list[dict]:
    return [{"name": "engine-socket", "mountPath": ENGINE_SOCKET_DIR},
            {"name": "workspace", "mountPath": WORKSPACE}]


def learner_environment(hub_namespace: str) -> dict:
    return {
        "DOCKER_HOST": DOCKER_HOST,
        versions.KUBE_CONTEXT_ENV: KUBE_CONTEXT,
        versions.PROGRESS_URL_ENV: progress_url(hub_namespace),
        PROGRESS_ENV: f"{WORKSPACE}/{PROGRESS_FOLDER}",
        "HOME": HOME,
    }


def progress_url(hub_namespace: str) -> str:
    """The progress service through the hub's proxy, as a learner's pod reaches it."""
    return f"http://hub.{hub_namespace}.svc.cluster.local:8000/services/{PROGRESS_SERVICE}/api/progress"


def namespace_objects(namespace: str, room: str) -> list[dict]:
    """What the hub makes in a learner's namespace before the pod: the ServiceAccount the learner's
    code acts as, `edit` in that namespace only, a quota and default limits for what they run."""
    labels = room_labels(room)
    meta = {"namespace": namespace, "labels": labels}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": SERVICE_ACCOUNT, **meta}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "learner-edit", **meta},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
         "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}]},
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "learner", **meta},
         "spec": {"hard": dict(QUOTA)}},
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "learner", **meta},
         "spec": {"limits": [{"type": "Container", **LIMIT_DEFAULTS}]}},
    ]


def node_reader_name(room: str) -> str:
    return f"{room}-node-reader"


def node_reader_binding(namespace: str, room: str) -> dict:
    """The learner's ServiceAccount may read the nodes (cluster-wide, read-only)."""
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": f"{namespace}-nodes", "labels": room_labels(room)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": node_reader_name(room)},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}]}


def roles() -> list[dict]:
    """Who may do what on the hub: a learner's server writes only its own learner's progress; the
    presenter reads the board and may open any learner's server to help."""
    return [
        {"name": "user", "scopes": ["self", f"{WRITE_SCOPE}!user"]},
        {"name": "server", "scopes": ["users:activity!user", "access:servers!server", f"{WRITE_SCOPE}!user"]},
        {"name": "presenter", "users": [PRESENTER],
         "scopes": [READ_SCOPE, "access:servers", "list:users", "read:users", "servers"]},
    ]


def custom_scopes() -> dict:
    return {WRITE_SCOPE: {"description": "Report a learner's lab progress to the room's board."},
            READ_SCOPE: {"description": "Read the room's board: every learner's lab progress."}}


def server_token_scopes() -> list[str]:
    return ["users:activity!user", "access:servers!server", f"{WRITE_SCOPE}!user"]


# -- sizing ------------------------------------------------------------------------------

_UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3}


def to_bytes(quantity: str) -> int:
    for suffix in sorted(_UNITS, key=len, reverse=True):
        if suffix and quantity.endswith(suffix):
            return int(float(quantity[: -len(suffix)]) * _UNITS[suffix])
    return int(float(quantity))


def learner_request_bytes() -> int:
    return to_bytes(LAB_MEMORY["guarantee"]) + to_bytes(ENGINE_MEMORY["request"])


def fits(learners: int, free_bytes: int, hub_bytes: int = 512 * 1024 ** 2) -> str | None:
    """None when `learners` fit in the cluster's unreserved memory, else why not, with the numbers."""
    need = learners * learner_request_bytes() + hub_bytes
    if need <= free_bytes:
        return None
    room = max(0, (free_bytes - hub_bytes) // learner_request_bytes())
    return (f"{learners} learners need {need / 1024 ** 3:.1f} GiB of memory requests, the cluster has "
            f"{free_bytes / 1024 ** 3:.1f} GiB unreserved: room for {room}")
