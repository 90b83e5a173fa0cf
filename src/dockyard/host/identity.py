"""Who made a namespace, so that on a shared cluster one learner's `clean` never touches another's.

On the kit's own kind cluster there is one person, and names stay short. On a shared cluster
(DOCKYARD_KUBE_CONTEXT) namespaces carry the owner in their name and in a label, and every
selector of `clean` and `lab reset` includes it.
"""
from __future__ import annotations

import getpass
import os
import re

OWNER_ENV = "DOCKYARD_OWNER"


def label_value(text: str) -> str:
    """A Kubernetes label value (and namespace part): lower-case alphanumerics and '-', ≤ 40."""
    value = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:40].strip("-")
    return value or "someone"


def context_user(context: str) -> str:
    """The kubeconfig user of `context` (each learner has their own credentials on a shared cluster)."""
    try:
        from kubernetes import config
        contexts, _ = config.list_kube_config_contexts()
    except Exception:
        return ""
    found = next((c for c in contexts or [] if c["name"] == context), None)
    return (found or {}).get("context", {}).get("user", "") if found else ""


def owner(context: str | None = None) -> str:
    """$DOCKYARD_OWNER, else the kubeconfig user of a shared cluster's context, else the login name."""
    if os.environ.get(OWNER_ENV):
        return label_value(os.environ[OWNER_ENV])
    if context:
        user = context_user(context)
        if user:
            return label_value(user)
    try:
        return label_value(getpass.getuser())
    except Exception:  # no login name (some containers): one shared name
        return "someone"
