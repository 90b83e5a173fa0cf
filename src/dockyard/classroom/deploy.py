"""The hub's objects on the cluster, as plain data (`hub_objects`), and putting them there.

Everything a classroom makes carries the room's label, so `classroom down` finds it all: the hub's
namespace, the learners' namespaces (KubeSpawner labels them), and the two cluster-wide RBAC objects.
"""
from __future__ import annotations

from dockyard.classroom import room

HUB_CONFIG = "/opt/dockyard/src/dockyard/classroom/hub_config.py"
SECRET = "hub-passwords"


def cluster_role_name(namespace: str) -> str:
    return f"{namespace}-hub"


def hub_rules(namespace: str) -> list[dict]:
    """What the hub needs across the cluster: learners' namespaces with what goes in them, a watch
    on every learner's pod and events (KubeSpawner's reflectors), and the right to give each
    learner `edit` in their own namespace and a look at the nodes (RBAC refuses a binding to a
    role one may not `bind`)."""
    core = ["pods", "persistentvolumeclaims", "services", "events", "secrets", "serviceaccounts",
            "resourcequotas", "limitranges", "namespaces"]
    return [
        {"apiGroups": [""], "resources": core, "verbs": ["get", "list", "watch", "create", "delete", "patch"]},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings", "clusterrolebindings"],
         "verbs": ["get", "create"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"],
         "resourceNames": ["edit", room.node_reader_name(namespace)]},
    ]


def hub_objects(namespace: str, image_ref: str, engine_ref: str, learners: list[str],
                storage_class: str) -> list[dict]:
    labels = room.room_labels(namespace)
    meta = {"namespace": namespace, "labels": labels}
    env = [
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "DOCKYARD_ROOM", "value": namespace},
        {"name": "DOCKYARD_IMAGE", "value": image_ref},
        {"name": "DOCKYARD_ENGINE_IMAGE", "value": engine_ref},
        {"name": room.LEARNERS_ENV, "value": ",".join(learners)},
        {"name": "DOCKYARD_STORAGE_CLASS", "value": storage_class},
        *({"name": name, "valueFrom": {"secretKeyRef": {"name": SECRET, "key": key}}}
          for name, key in [("DOCKYARD_ROOM_PASSWORD", "room"), ("DOCKYARD_PRESENTER_PASSWORD", "presenter")]),
    ]
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": labels}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "hub", **meta}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": cluster_role_name(namespace), "labels": labels}, "rules": hub_rules(namespace)},
        # Learners see the nodes (notebook 11 lists them); changing one is the presenter's part.
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": room.node_reader_name(namespace), "labels": labels},
         "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": cluster_role_name(namespace), "labels": labels},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": cluster_role_name(namespace)},
         "subjects": [{"kind": "ServiceAccount", "name": "hub", "namespace": namespace}]},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "hub-state", **meta},
         "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": storage_class,
                  "resources": {"requests": {"storage": "1Gi"}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "hub", **meta},
         # The proxy reaches the hub through this Service, and the hub is ready once the proxy
         # answers: the Service must lead to the hub before it is ready.
         "spec": {"selector": {"app": "hub", **labels}, "publishNotReadyAddresses": True,
                  "ports": [{"name": "proxy", "port": 8000, "targetPort": 8000},
                            {"name": "api", "port": 8081, "targetPort": 8081}]}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hub", **meta},
         "spec": {"replicas": 1, "strategy": {"type": "Recreate"},   # one hub owns the database
                  "selector": {"matchLabels": {"app": "hub", **labels}},
                  "template": {
                      "metadata": {"labels": {"app": "hub", **labels}},
                      "spec": {
                          "serviceAccountName": "hub",
                          "securityContext": {"runAsUser": room.LEARNER_UID, "runAsGroup": room.LEARNER_UID,
                                              "fsGroup": room.LEARNER_UID},
                          "containers": [{
                              "name": "hub", "image": image_ref, "imagePullPolicy": "Never",
                              "command": ["jupyterhub", "-f", HUB_CONFIG], "workingDir": "/srv/hub",
                              "env": env,
                              "ports": [{"containerPort": 8000}, {"containerPort": 8081}],
                              # Through the proxy: ready once the hub has given it its routes.
                              "readinessProbe": {"httpGet": {"path": "/hub/health", "port": 8000},
                                                 "periodSeconds": 2},
                              "resources": {"requests": {"memory": "256Mi", "cpu": "50m"},
                                            "limits": {"memory": "1Gi"}},
                              "volumeMounts": [{"name": "state", "mountPath": "/srv/hub"}]}],
                          "volumes": [{"name": "state", "persistentVolumeClaim": {"claimName": "hub-state"}}],
                      }}}},
    ]


def password_secret(namespace: str, room_password: str, presenter_password: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": SECRET, "namespace": namespace, "labels": room.room_labels(namespace)},
            "stringData": {"room": room_password, "presenter": presenter_password}}


def apply(api, objects: list[dict]) -> None:
    """Server-side apply: the same objects twice change nothing; a changed field is updated."""
    from kubernetes import dynamic
    client = dynamic.DynamicClient(api)
    for obj in objects:
        resource = client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        resource.server_side_apply(body=obj, name=obj["metadata"]["name"],
                                   namespace=obj["metadata"].get("namespace"),
                                   field_manager="dockyard-classroom", force_conflicts=True)
