"""Manifests from k8s-manifests/ rendered with the kit's values, and saved for `kubectl apply -f`."""
from __future__ import annotations

import re
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.paths import REPO

MANIFESTS = REPO / "k8s-manifests"


def manifest_values() -> dict[str, str]:
    """@IMAGE_<KEY>@ placeholders in our YAML take the catalog's refs: a tag is spelled once."""
    from dockyard.images.catalog import CATALOG
    return {f"IMAGE_{key.upper().replace('-', '_')}": entry.ref for key, entry in CATALOG.items()}


def render_manifest(source: str | Path, values: dict[str, str] | None = None) -> str:
    """The YAML text of `source` (a path under k8s-manifests/ or the text itself), filled in."""
    path = Path(source) if not str(source).lstrip().startswith(("apiVersion", "---", "kind")) else None
    if path is not None and not path.is_absolute() and not path.exists():
        path = MANIFESTS / path
    text = path.read_text() if path is not None else str(source)
    for key, value in {**manifest_values(), **(values or {})}.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise DockyardError(f"placeholder {left[0]} in the manifest has no value",
                            f"pass it: values={{'{left[0].strip('@')}': ...}}")
    return text


def save_manifest(api, obj, namespace: str) -> Path:
    """Write a client object (V1Pod, V1Deployment…) as the YAML `kubectl apply -f` takes, to
    build/manifests/<namespace>-<kind>-<name>.yaml, so the kubectl line a cell prints works when typed.
    The object must name its apiVersion and kind (the client does not need them; kubectl does)."""
    import yaml
    from dockyard.paths import BUILD
    doc = api.sanitize_for_serialization(obj)
    if not doc.get("apiVersion") or not doc.get("kind"):
        raise DockyardError(f"{type(obj).__name__} {doc.get('metadata', {}).get('name')} has no apiVersion or kind",
                            "set api_version= and kind= on the object")
    doc["metadata"] = {"name": doc["metadata"]["name"], "namespace": namespace,
                       **{k: v for k, v in doc["metadata"].items() if k not in ("name", "namespace")}}

    class Dumper(yaml.SafeDumper):   # multi-line strings (a script) as | blocks, as one writes them
        pass
    Dumper.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s,
                                                                style="|" if "\n" in s else None))
    # the kind is in the name: a Deployment and its Service (or a Role and its RoleBinding) share a name
    path = BUILD / "manifests" / f"{namespace}-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(doc, Dumper=Dumper, sort_keys=False))
    return path


# kind -> (API path prefix, plural). Anything else is found through discovery.
_RESOURCES = {
    ("v1", "Pod"): ("/api/v1", "pods"), ("v1", "Service"): ("/api/v1", "services"),
    ("v1", "ConfigMap"): ("/api/v1", "configmaps"), ("v1", "Secret"): ("/api/v1", "secrets"),
    ("v1", "ServiceAccount"): ("/api/v1", "serviceaccounts"),
    ("apps/v1", "Deployment"): ("/apis/apps/v1", "deployments"),
    ("apps/v1", "ReplicaSet"): ("/apis/apps/v1", "replicasets"),
    ("apps/v1", "DaemonSet"): ("/apis/apps/v1", "daemonsets"),
    ("apps/v1", "StatefulSet"): ("/apis/apps/v1", "statefulsets"),
    ("batch/v1", "Job"): ("/apis/batch/v1", "jobs"),
}


def resource_path(api_version: str, kind: str, namespace: str, name: str) -> str:
    """The REST path of a namespaced object (the URL `kubectl get --raw` would use)."""
    try:
        prefix, plural = _RESOURCES[(api_version, kind)]
    except KeyError:
        raise DockyardError(f"dockyard does not know the REST path of {api_version} {kind}",
                            "apply it with kubectl, or add it to dockyard.kube._RESOURCES") from None
    return f"{prefix}/namespaces/{namespace}/{plural}/{name}"
