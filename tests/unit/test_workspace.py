import pytest

from dockyard.errors import DockyardError
from dockyard.workspace import seed


def make_source(tmp_path):
    src = tmp_path / "kit"
    for name in ("notebooks/00-start-here.ipynb", "labs/01-docker-basics.ipynb"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text("{kit}")
    return src


def test_seed_copies_what_is_missing_and_never_overwrites(tmp_path):
    src, ws = make_source(tmp_path), tmp_path / "ws"
    copied, kept = seed(ws, src)
    assert [p.name for p in copied] == ["00-start-here.ipynb", "01-docker-basics.ipynb"] and kept == []
    (ws / "notebooks/00-start-here.ipynb").write_text("{the learner's answers}")
    (src / "notebooks/01-new.ipynb").write_text("{kit}")
    copied, kept = seed(ws, src)
    assert [p.name for p in copied] == ["01-new.ipynb"]
    assert (ws / "notebooks/00-start-here.ipynb").read_text() == "{the learner's answers}"
    assert len(kept) == 2


def test_a_workspace_inside_the_checkout_is_refused(tmp_path):
    src = make_source(tmp_path)
    with pytest.raises(DockyardError, match="inside the kit's checkout"):
        seed(src / "ws", src)
    with pytest.raises(DockyardError):
        seed(src, src)


def test_jupyterlab_on_the_network_needs_a_password():
    from dockyard.jupyterlab import exposure_refusal, lab_command
    assert exposure_refusal("127.0.0.1", None) is None
    assert exposure_refusal("localhost", None) is None
    assert exposure_refusal("::1", None) is None
    what, fix = exposure_refusal("0.0.0.0", None)
    assert "anyone on the network" in what and "DOCKYARD_LAB_PASSWORD" in fix
    assert exposure_refusal("192.168.1.20", "a-secret") is None
    command = lab_command("0.0.0.0", 8888, password="a-secret")
    assert "--IdentityProvider.token=" in command, "no token beside the password"
    assert not any("a-secret" in part for part in command), "only the hash is on the command line"
