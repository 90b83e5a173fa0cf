"""kubernetes-client plumbing: pick the context, fail with a clear line when there is none."""
from __future__ import annotations

import os

from . import versions
from .errors import DockyardError


def kube_context() -> str:
    """DOCKYARD_KUBE_CONTEXT points the kit at another cluster; otherwise our kind cluster."""
    return os.environ.get("DOCKYARD_KUBE_CONTEXT") or f"kind-{versions.CLUSTER_NAME}"


def is_kind_context(context: str | None = None) -> bool:
    return (context or kube_context()) == f"kind-{versions.CLUSTER_NAME}"


def api_client(context: str | None = None):
    from kubernetes import config
    context = context or kube_context()
    try:
        contexts, _ = config.list_kube_config_contexts()
    except Exception:
        contexts = []
    names = [c["name"] for c in contexts or []]
    if context not in names:
        fix = ("create it with `dockyard cluster up`" if is_kind_context(context)
               else f"pick one of: {', '.join(names) or 'none in ~/.kube/config'}")
        raise DockyardError(f"no kubeconfig context named {context!r}", fix)
    return config.new_client_from_config(context=context)


def api_client_or_none(context: str | None = None):
    try:
        api = api_client(context)
        from kubernetes import client
        client.VersionApi(api).get_code(_request_timeout=3)
        return api
    except Exception:
        return None
