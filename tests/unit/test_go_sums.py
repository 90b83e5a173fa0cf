"""The wrapper modules build with the kit's committed go.sum, and may not add a hash to it."""
import pytest

from dockyard import versions
from dockyard.errors import DockyardError
from dockyard.host import gobuild


def wrappers() -> dict[str, str]:
    """Each wrapper folder the kit builds in -> the module it requires."""
    out = {f"kubernetes-{versions.KUBERNETES_VERSION}": f"k8s.io/kubernetes {versions.KUBERNETES_VERSION}"}
    for name, (how, target, version) in gobuild.PROGRAMS.items():
        if how != "install":
            out[gobuild.wrapper_plan(name)[0]] = f"{target} {version}"
    return out


@pytest.mark.parametrize("work, module", wrappers().items())
def test_every_wrapper_has_a_committed_go_sum_that_pins_its_module(work, module):
    pinned = gobuild.GO_SUMS / f"{work}.sum"
    assert pinned.exists(), f"{pinned} is missing: build, then `python -m dockyard.host.gobuild write-sums`"
    assert any(line.startswith(f"{module} h1:") for line in pinned.read_text().splitlines())


def a_pin(tmp_path, monkeypatch, text="example.com/a v1.0.0 h1:AAA=\n"):
    monkeypatch.setattr(gobuild, "GO_SUMS", tmp_path / "gosum")
    (tmp_path / "gosum").mkdir()
    (tmp_path / "gosum" / "w-v1.sum").write_text(text)
    work = tmp_path / "w-v1"
    work.mkdir()
    (work / "go.sum").write_text("stale\n")
    return work


def test_the_build_starts_from_the_committed_hashes(tmp_path, monkeypatch):
    work = a_pin(tmp_path, monkeypatch)
    with gobuild.pinned_sums(work):
        seen = (work / "go.sum").read_text()
    assert seen == "example.com/a v1.0.0 h1:AAA=\n"


def test_a_build_that_needed_another_hash_is_refused(tmp_path, monkeypatch):
    work = a_pin(tmp_path, monkeypatch)
    with pytest.raises(DockyardError) as err:
        with gobuild.pinned_sums(work):
            with open(work / "go.sum", "a") as sums:
                sums.write("example.com/b v2.0.0 h1:BBB=\n")
    assert "1 module hash(es)" in err.value.what and "example.com/b" in err.value.what
    assert "write-sums" in err.value.fix


def test_a_wrapper_without_pins_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(gobuild, "GO_SUMS", tmp_path / "none")
    with pytest.raises(DockyardError) as err:
        with gobuild.pinned_sums(tmp_path):
            pass
    assert "pins no module hashes" in err.value.what
