"""A cluster without a default storage class is named in one line, with the classes it has."""
from types import SimpleNamespace

import pytest

from dockyard.classroom import lifecycle
from dockyard.errors import DockyardError


def classes(*items):
    return SimpleNamespace(items=[SimpleNamespace(metadata=SimpleNamespace(name=name, annotations=ann))
                                  for name, ann in items])


def test_the_default_class_is_found(monkeypatch):
    import kubernetes.client
    listing = classes(("slow", None), ("standard", {"storageclass.kubernetes.io/is-default-class": "true"}))
    monkeypatch.setattr(kubernetes.client, "StorageV1Api", lambda api: SimpleNamespace(list_storage_class=lambda: listing))
    assert lifecycle.default_storage_class(None) == "standard"


def test_no_default_class_is_one_line(monkeypatch):
    import kubernetes.client
    listing = classes(("slow", {}), ("fast", None))
    monkeypatch.setattr(kubernetes.client, "StorageV1Api", lambda api: SimpleNamespace(list_storage_class=lambda: listing))
    with pytest.raises(DockyardError) as err:
        lifecycle.default_storage_class(None)
    assert "no default storage class (classes: slow, fast)" in err.value.what
    assert "is-default-class" in err.value.fix
