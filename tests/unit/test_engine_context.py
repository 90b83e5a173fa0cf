"""Which engine the kit talks to, decided as the docker CLI decides, on recorded CLI configs."""
from pathlib import Path

import pytest

from dockyard.engine import probe
from dockyard.engine.context import context_dir_name, resolve, tls_settings
from dockyard.errors import DockyardError

CLI = Path(__file__).parent / "fixtures" / "engines" / "cli"
DESKTOP_SOCKET = "unix:///Users/NAME/.docker/run/docker.sock"


def test_a_context_is_stored_under_the_sha256_of_its_name():
    digest = context_dir_name("desktop-linux")
    assert digest == "fe9c6bd7a66301f49ca9b6a70b217107cd1284598bfc254700c989b916da791e"
    assert (CLI / "desktop-mac" / "contexts" / "meta" / digest / "meta.json").exists()


def test_docker_desktop_on_macos_is_found_through_current_context():
    ep = resolve({}, CLI / "desktop-mac", "darwin")
    assert (ep.context, ep.host, ep.source) == ("desktop-linux", DESKTOP_SOCKET, "config currentContext=desktop-linux")
    assert ep.from_context and not ep.tls and tls_settings(ep) is None


def test_docker_context_beats_current_context():
    ep = resolve({"DOCKER_CONTEXT": "default"}, CLI / "desktop-mac", "darwin")
    assert (ep.context, ep.host, ep.source) == ("default", "unix:///var/run/docker.sock", "DOCKER_CONTEXT=default")


def test_docker_host_beats_docker_context_and_current_context():
    env = {"DOCKER_HOST": "tcp://10.0.0.5:2375", "DOCKER_CONTEXT": "desktop-linux"}
    ep = resolve(env, CLI / "desktop-mac", "darwin")
    assert (ep.context, ep.host, ep.source) == ("default", "tcp://10.0.0.5:2375", "DOCKER_HOST")


def test_an_empty_variable_counts_as_unset():
    ep = resolve({"DOCKER_HOST": "", "DOCKER_CONTEXT": ""}, CLI / "desktop-mac", "darwin")
    assert ep.context == "desktop-linux"


def test_the_config_folder_comes_from_docker_config():
    ep = resolve({"DOCKER_CONFIG": str(CLI / "rootless")}, platform="linux")
    assert (ep.context, ep.host) == ("rootless", "unix:///run/user/1000/docker.sock")


def test_rootless_context_named_by_docker_context():
    ep = resolve({"DOCKER_CONTEXT": "rootless"}, CLI / "rootless", "linux")
    assert ep.source == "DOCKER_CONTEXT=rootless" and ep.socket_path == "/run/user/1000/docker.sock"


def test_windows_default_is_the_named_pipe():
    ep = resolve({}, CLI / "windows", "win32")
    assert (ep.context, ep.host, ep.source) == ("default", "npipe:////./pipe/docker_engine",
                                                "config currentContext=default")
    assert ep.socket_path is None


def test_windows_desktop_linux_context_is_another_pipe():
    ep = resolve({"DOCKER_CONTEXT": "desktop-linux"}, CLI / "windows", "win32")
    assert ep.host == "npipe:////./pipe/dockerDesktopLinuxEngine"


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_no_config_means_the_platform_socket(tmp_path, platform):
    ep = resolve({}, tmp_path, platform)
    assert (ep.context, ep.host, ep.source) == ("default", "unix:///var/run/docker.sock", "platform default")


def test_tls_context_uses_its_stored_certificates():
    ep = resolve({}, CLI / "tls-remote", "linux")
    folder = CLI / "tls-remote" / "contexts" / "tls" / context_dir_name("classroom") / "docker"
    assert ep.host == "tcp://docker.classroom.example:2376"
    assert (ep.ca, ep.cert, ep.key) == (folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    assert ep.tls and not ep.skip_tls_verify
    assert tls_settings(ep) == {"client_cert": (str(folder / "cert.pem"), str(folder / "key.pem")),
                                "ca_cert": str(folder / "ca.pem"), "verify": True}


def test_tls_context_becomes_a_docker_py_tls_config():
    kwargs = probe.client_kwargs(resolve({}, CLI / "tls-remote", "linux"), timeout=5)
    assert kwargs["base_url"] == "tcp://docker.classroom.example:2376"
    assert kwargs["tls"].verify is True and kwargs["tls"].ca_cert.endswith("ca.pem")
    assert kwargs["tls"].cert[1].endswith("key.pem")


def write_context(config_dir: Path, name: str, host: str, skip: bool = False) -> None:
    import json
    meta = config_dir / "contexts" / "meta" / context_dir_name(name) / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"Name": name, "Metadata": {},
                                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip}}}))


def test_skip_tls_verify_alone_turns_tls_on_without_verification(tmp_path):
    write_context(tmp_path, "lab", "tcp://lab.example:2376", skip=True)
    ep = resolve({"DOCKER_CONTEXT": "lab"}, tmp_path, "linux")
    assert ep.tls and tls_settings(ep) == {"client_cert": None, "ca_cert": None, "verify": False}


def test_docker_tls_verify_takes_files_from_docker_cert_path(tmp_path):
    (tmp_path / "ca.pem").write_text("x")   # no client pair: like the CLI, missing files are skipped
    env = {"DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(tmp_path)}
    ep = resolve(env, tmp_path / "cfg", "linux")
    assert (ep.ca, ep.cert, ep.key, ep.tls, ep.skip_tls_verify) == (tmp_path / "ca.pem", None, None, True, False)


def test_docker_cert_path_alone_does_not_turn_tls_on(tmp_path):
    ep = resolve({"DOCKER_HOST": "tcp://h:2375", "DOCKER_CERT_PATH": str(tmp_path)}, tmp_path, "linux")
    assert not ep.tls


def test_docker_tls_without_verify_skips_verification(tmp_path):
    ep = resolve({"DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS": "1"}, tmp_path, "linux")
    assert ep.tls and ep.skip_tls_verify


def test_ssh_endpoint_uses_the_ssh_program(tmp_path):
    kwargs = probe.client_kwargs(resolve({"DOCKER_HOST": "ssh://me@box"}, tmp_path, "linux"), timeout=5)
    assert kwargs["use_ssh_client"] is True and "tls" not in kwargs


def test_a_missing_current_context_names_it_and_the_way_back(tmp_path):
    (tmp_path / "config.json").write_text('{"currentContext": "colima"}')
    with pytest.raises(DockyardError) as err:
        resolve({}, tmp_path, "darwin")
    assert "`colima`" in err.value.what and "config currentContext=colima" in err.value.what
    assert "docker context ls" in err.value.fix and "docker context use default" in err.value.fix


def test_a_missing_docker_context_says_unset_it(tmp_path):
    with pytest.raises(DockyardError) as err:
        resolve({"DOCKER_CONTEXT": "ghost"}, tmp_path, "linux")
    assert "`ghost`" in err.value.what and "unset DOCKER_CONTEXT" in err.value.fix


def test_a_context_without_docker_endpoint_is_refused(tmp_path):
    meta = tmp_path / "contexts" / "meta" / context_dir_name("k8s-only") / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text('{"Name": "k8s-only", "Endpoints": {}}')
    with pytest.raises(DockyardError, match="no Docker endpoint"):
        resolve({"DOCKER_CONTEXT": "k8s-only"}, tmp_path, "linux")


def test_a_broken_config_file_is_one_line(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(DockyardError, match="config.json is not valid JSON"):
        resolve({}, tmp_path, "linux")


def test_engine_status_reports_a_missing_context_without_an_engine(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.setenv("DOCKER_CONTEXT", "ghost")
    status = probe.engine_status()
    assert not status.reachable and "ghost" in status.problem and "docker context ls" in status.fix


# explain(): what went wrong, and the fix, for each way of choosing the engine

def test_desktop_context_down_names_context_endpoint_and_fix():
    ep = resolve({}, CLI / "desktop-mac", "darwin")
    what, fix = probe.explain(ep, ConnectionError("connection refused"), platform="darwin")
    assert "desktop-linux" in what and DESKTOP_SOCKET in what
    assert "start Docker Desktop" in fix and "`docker context use default`" in fix


def test_context_from_docker_context_is_undone_by_unsetting_it():
    ep = resolve({"DOCKER_CONTEXT": "rootless"}, CLI / "rootless", "linux")
    what, fix = probe.explain(ep, ConnectionError("refused"), platform="linux")
    assert "rootless" in what and "systemctl --user start docker" in fix and "unset DOCKER_CONTEXT" in fix


def test_tls_failure_says_tls():
    ep = resolve({}, CLI / "tls-remote", "linux")
    what, fix = probe.explain(ep, Exception("SSLError: certificate verify failed"), platform="linux")
    assert what.startswith("TLS with tcp://docker.classroom.example:2376 failed") and "ca.pem" in fix


def test_default_socket_missing_off_linux_says_start_desktop(tmp_path):
    what, fix = probe.explain(f"unix://{tmp_path}/docker.sock", None, platform="darwin")
    assert "not running" in what and fix == "start Docker Desktop"


def test_default_socket_without_permission_says_docker_group(tmp_path):
    sock = tmp_path / "docker.sock"
    sock.write_text("")
    what, fix = probe.explain(f"unix://{sock}", PermissionError("Permission denied"), platform="linux")
    assert "no permission" in what and "usermod -aG docker" in fix


def test_docker_host_tcp_says_check_docker_host():
    what, fix = probe.explain("tcp://10.0.0.5:2375", ConnectionError("refused"), platform="linux")
    assert "10.0.0.5" in what and "DOCKER_HOST" in fix


def test_docker_host_rootless_socket_says_start_it_or_unset(tmp_path):
    ep = resolve({"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}, tmp_path, "linux")
    what, fix = probe.explain(ep, ConnectionError("refused"), platform="linux")
    assert "no socket at /run/user/1000/docker.sock" in what
    assert "systemctl --user start docker" in fix and "unset DOCKER_HOST" in fix


def test_windows_pipe_down_says_start_desktop(tmp_path):
    ep = resolve({}, tmp_path, "win32")
    what, fix = probe.explain(ep, ConnectionError("pipe"), platform="win32")
    assert "npipe:////./pipe/docker_engine" in what and fix == "start Docker Desktop"
