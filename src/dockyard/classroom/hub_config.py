# The hub's configuration (`jupyterhub -f` this file, in the classroom image). Values that differ
# between rooms come from the hub pod's environment, set by classroom/deploy.py.
import os

from dockyard import versions
from dockyard.classroom import room

c = get_config()  # noqa: F821 (JupyterHub provides it)
NAMESPACE = os.environ["POD_NAMESPACE"]
ROOM = os.environ["DOCKYARD_ROOM"]
IMAGE = os.environ["DOCKYARD_IMAGE"]

# The proxy (Debian's configurable-http-proxy) runs beside the hub in its pod; the Service `hub`
# carries the proxy (8000) and the hub's API (8081) to learners' pods and to the presenter.
c.JupyterHub.bind_url = "http://0.0.0.0:8000"
c.JupyterHub.hub_bind_url = "http://0.0.0.0:8081"
c.JupyterHub.hub_connect_url = f"http://hub.{NAMESPACE}.svc.cluster.local:8081"
c.JupyterHub.db_url = "sqlite:////srv/hub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/hub/cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "/srv/hub/proxy.pid"
c.JupyterHub.cleanup_servers = False        # a hub restart leaves learners' servers running

# A room logs in with one shared password; the presenter with another.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["DOCKYARD_ROOM_PASSWORD"]
c.SharedPasswordAuthenticator.admin_password = os.environ["DOCKYARD_PRESENTER_PASSWORD"]
c.Authenticator.admin_users = {room.PRESENTER}
c.Authenticator.allow_all = True

c.JupyterHub.custom_scopes = room.custom_scopes()
c.JupyterHub.load_roles = room.roles()
c.Spawner.server_token_scopes = room.server_token_scopes()
c.JupyterHub.services = [{
    "name": room.PROGRESS_SERVICE,
    "url": f"http://127.0.0.1:{room.PROGRESS_PORT}",
    "command": ["python3", "-m", "dockyard.classroom.service"],
    "oauth_client_allowed_scopes": [room.READ_SCOPE],
    "oauth_no_confirm": True,       # the room's own board: no "authorize access?" page for the presenter
    "display": True,
}]

# Every learner: a pod in a namespace of their own, their JupyterLab and their own Docker engine.
c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.KubeSpawner.enable_user_namespaces = True
c.KubeSpawner.user_namespace_template = "{hubnamespace}-{username}"
c.KubeSpawner.user_namespace_labels = room.room_labels(ROOM)
c.KubeSpawner.extra_labels = room.room_labels(ROOM)
c.KubeSpawner.image = IMAGE
c.KubeSpawner.image_pull_policy = "Never"          # loaded into the nodes by `classroom up`
c.KubeSpawner.cmd = ["python3", "-m", "dockyard.classroom.learner"]
c.KubeSpawner.uid = room.LEARNER_UID
c.KubeSpawner.gid = room.LEARNER_UID
c.KubeSpawner.fs_gid = room.LEARNER_UID
c.KubeSpawner.service_account = room.SERVICE_ACCOUNT
c.KubeSpawner.automount_service_account_token = True
c.KubeSpawner.notebook_dir = room.WORKSPACE
c.KubeSpawner.default_url = "/lab"
c.KubeSpawner.environment = room.learner_environment(NAMESPACE)
c.KubeSpawner.mem_guarantee = room.LAB_MEMORY["guarantee"]
c.KubeSpawner.mem_limit = room.LAB_MEMORY["limit"]
c.KubeSpawner.cpu_guarantee = 0.05
c.KubeSpawner.storage_pvc_ensure = True
c.KubeSpawner.pvc_name_template = "workspace"
c.KubeSpawner.storage_capacity = room.WORKSPACE_SIZE
c.KubeSpawner.storage_access_modes = ["ReadWriteOnce"]
c.KubeSpawner.storage_class = os.environ["DOCKYARD_STORAGE_CLASS"]
c.KubeSpawner.storage_extra_labels = room.room_labels(ROOM)
c.KubeSpawner.volumes = room.volumes()
c.KubeSpawner.volume_mounts = room.volume_mounts()
c.KubeSpawner.extra_containers = [room.engine_sidecar(os.environ["DOCKYARD_ENGINE_IMAGE"])]
c.KubeSpawner.start_timeout = 300
c.KubeSpawner.http_timeout = 180


async def make_learner_namespace(spawner):
    """The learner's namespace with its ServiceAccount, `edit` binding, quota and limits, before the
    pod (KubeSpawner makes the namespace itself only after this hook, and accepts one that exists)."""
    from kubernetes_asyncio import client
    from kubernetes_asyncio.client.rest import ApiException

    core = client.CoreV1Api(spawner.api.api_client)
    rbac = client.RbacAuthorizationV1Api(spawner.api.api_client)
    ns = spawner.namespace
    creators = {
        "Namespace": lambda body: core.create_namespace(body),
        "ServiceAccount": lambda body: core.create_namespaced_service_account(ns, body),
        "RoleBinding": lambda body: rbac.create_namespaced_role_binding(ns, body),
        "ResourceQuota": lambda body: core.create_namespaced_resource_quota(ns, body),
        "LimitRange": lambda body: core.create_namespaced_limit_range(ns, body),
        "ClusterRoleBinding": lambda body: rbac.create_cluster_role_binding(body),
    }
    namespace = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": ns, "labels": room.room_labels(ROOM)}}
    for body in [namespace, *room.namespace_objects(ns, ROOM), room.node_reader_binding(ns, ROOM)]:
        try:
            await creators[body["kind"]](body)
        except ApiException as err:
            if err.status != 409:     # made at this learner's first start: kept as it is
                raise
    spawner.environment = {**spawner.environment, versions.NAMESPACE_ENV: ns}


c.KubeSpawner.pre_spawn_hook = make_learner_namespace
