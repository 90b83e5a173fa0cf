"""The kit's label on what it makes, and how to tell an object that carries it from one that
only inherited it (Docker copies an image's labels onto its containers and child images)."""
from __future__ import annotations

from dockyard import versions


def labels(workshop: str = versions.DEFAULT_WORKSHOP, **extra) -> dict:
    """The label that lets `dockyard clean` find what a notebook made."""
    return {versions.LABEL_KEY: workshop, **extra}


def label_filter(workshop: str | None = None) -> str:
    """The docker filter value for our label: `dockyard.workshop=<workshop>`, or just the key."""
    return f"{versions.LABEL_KEY}={workshop}" if workshop else versions.LABEL_KEY


def own_label(labels: dict | None, source_labels: dict | None, key: str) -> bool:
    """Does an object carry `key` set on itself, not copied from its source?"""
    value = (labels or {}).get(key)
    return value is not None and (source_labels or {}).get(key) != value


def labels_of(client, image_id: str | None) -> dict:
    """An image's labels; {} when there is no such image (a base that is gone, no parent)."""
    import docker
    if not image_id:
        return {}
    try:
        return client.api.inspect_image(image_id)["Config"].get("Labels") or {}
    except docker.errors.NotFound:
        return {}
