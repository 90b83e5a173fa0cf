"""The kubeconfig context and the API client, chosen with a clear error."""
from __future__ import annotations

import os

from dockyard import versions
from dockyard.errors import DockyardError


def kube_context() -> str:
    """DOCKYARD_KUBE_CONTEXT points the kit at another cluster; otherwise our kind cluster."""
    return os.environ.get(versions.KUBE_CONTEXT_ENV) or versions.KUBE_CONTEXT


def is_kind_context(context: str | None = None) -> bool:
    return (context or kube_context()) == versions.KUBE_CONTEXT


def require_context(context: str) -> None:
    """A DockyardError naming the contexts there are, unless the kubeconfig has `context`."""
    from kubernetes import config
    contexts, why = [], ""
    try:
        contexts, _ = config.list_kube_config_contexts()
    except config.ConfigException as err:   # no kubeconfig at all, or one without contexts: say which
        why = f" ({err})"
    except Exception:
        pass
    names = [c["name"] for c in contexts or []]
    if context in names:
        return
    fix = ("create the cluster with `dockyard cluster up` (or `make cluster`)" if is_kind_context(context)
           else f"pick one of: {', '.join(names) or 'none in ~/.kube/config'} (set {versions.KUBE_CONTEXT_ENV}), "
                f"or unset {versions.KUBE_CONTEXT_ENV} to use the kit's kind cluster")
    raise DockyardError(f"no kubeconfig context named {context!r}{why}", fix)


def api_client(context: str | None = None, probe: bool = False):
    """An ApiClient for `context`; with probe=True also check that the API server answers."""
    from kubernetes import config
    context = context or kube_context()
    require_context(context)
    try:
        api = config.new_client_from_config(context=context)
    except config.ConfigException as err:   # the context names a user or cluster that is missing or broken
        fix = ("write it again with `dockyard cluster up`" if is_kind_context(context)
               else f"look at it with `kubectl config view --minify --context {context}`")
        raise DockyardError(f"the kubeconfig entry of context {context!r} is unusable ({err})", fix) from None
    if probe:
        from kubernetes import client
        try:
            client.VersionApi(api).get_code(_request_timeout=5)
        except Exception as err:
            host = api.configuration.host
            fix = ("start it with `dockyard cluster up`" if is_kind_context(context)
                   else "check that cluster, or point " + versions.KUBE_CONTEXT_ENV + " at another context")
            raise DockyardError(f"the API server of context {context!r} ({host}) does not answer "
                                f"({type(err).__name__})", fix) from None
    return api


def api_client_or_none(context: str | None = None):
    try:
        return api_client(context, probe=True)
    except Exception:
        return None


def kubectl(args: str, context: str | None = None) -> None:
    """Print the kubectl command a cell's client call corresponds to."""
    ctx = context or kube_context()
    extra = "" if ctx == versions.KUBE_CONTEXT else f" --context {ctx}"
    print(f"$ kubectl {args}{extra}")
