"""Live: Go refuses a module whose bits differ from the kit's committed go.sum (issue #12).

The etcd wrapper is built with a copy of the kit's pins where etcd's own hash has one character
changed; Go must stop before compiling, and the kit says so in one line naming the module.
The module is in the machine's module cache since `make prepare`; GOPROXY=off keeps it there.
"""
import shutil

import pytest

from dockyard import versions
from dockyard.errors import DockyardError
from dockyard.host import gobuild


def test_a_changed_hash_stops_the_build(tmp_path, monkeypatch):
    work, requires, package, main_go = gobuild.wrapper_plan("etcd")
    pins = tmp_path / "gosum"
    shutil.copytree(gobuild.GO_SUMS, pins)
    line = f"go.etcd.io/etcd/server/v3 {versions.ETCD_VERSION} h1:"
    text = (pins / f"{work}.sum").read_text()
    start = text.index(line) + len(line)
    flipped = "A" if text[start] != "A" else "B"
    (pins / f"{work}.sum").write_text(text[:start] + flipped + text[start + 1:])
    monkeypatch.setattr(gobuild, "GO_SUMS", pins)
    monkeypatch.setenv("GOPROXY", "off")   # the module cache only: no traffic leaves the machine
    with pytest.raises(DockyardError) as err:
        gobuild.build_in_wrapper(work, requires, package, tmp_path / "etcd", log=lambda line: None)
    assert "checksum mismatch" in err.value.what and "go.etcd.io/etcd/server/v3" in err.value.what, err.value.what
    assert not (tmp_path / "etcd").exists(), "nothing was built"
