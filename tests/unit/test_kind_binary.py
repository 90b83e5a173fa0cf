"""Where kind comes from off the from-source way: PATH, Go, the cache, or a download that is
checked against its pinned sha256 before use. The download is served from 127.0.0.1."""
import hashlib
import http.server
import os
import threading
from pathlib import Path

import pytest

from dockyard import versions

from dockyard.cluster import ways
from dockyard.cluster import kind, kindtool
from dockyard.errors import DockyardError
from dockyard.host import gobuild

FAKE_KIND = b"#!/bin/sh\necho 'kind v0.30.0 go1.24.6 linux/amd64'\n"
RIGHT = hashlib.sha256(FAKE_KIND).hexdigest()


@pytest.fixture
def server(monkeypatch):
    """Serves FAKE_KIND at /dl/<version>/kind-<os>-<arch>; anything else is 404."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")   # a proxy of the machine must not answer for it
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if not self.path.startswith("/dl/"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(FAKE_KIND)))
            self.end_headers()
            self.wfile.write(FAKE_KIND)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def left_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# -- the OS and CPU ----------------------------------------------------------------------

@pytest.mark.parametrize("system, machine, expected", [
    ("Linux", "x86_64", ("linux", "amd64")), ("Linux", "aarch64", ("linux", "arm64")),
    ("Linux", "arm64", ("linux", "arm64")), ("Darwin", "arm64", ("darwin", "arm64")),
    ("Darwin", "x86_64", ("darwin", "amd64")),
])
def test_os_and_cpu_map_to_kinds_names(system, machine, expected):
    assert kindtool.release_platform(system, machine) == expected
    assert expected in versions.KIND_BINARY_SHA256


@pytest.mark.parametrize("system, machine", [("Windows", "AMD64"), ("Linux", "riscv64"), ("Linux", "armv7l")])
def test_a_platform_without_a_release_is_one_line(system, machine):
    with pytest.raises(DockyardError) as err:
        kindtool.release_platform(system, machine)
    assert f"{system}/{machine}" in err.value.what and "PATH" in err.value.fix and "\n" not in str(err.value)


def test_the_release_url():
    assert kindtool.release_url("linux", "amd64") == "https://kind.sigs.k8s.io/dl/v0.30.0/kind-linux-amd64"


# -- the checked download ----------------------------------------------------------------

def test_the_right_sha256_installs_it(server, tmp_path):
    dest = tmp_path / "bin" / "kind-v0.30.0" / "kind"
    assert kindtool.download_verified(f"{server}/dl/v0.30.0/kind-linux-amd64", RIGHT, dest, log=lambda _: None) == dest
    assert dest.read_bytes() == FAKE_KIND and os.access(dest, os.X_OK)
    assert left_in(dest.parent) == ["kind"]                           # no partial file beside it
    assert kindtool.reported_version(str(dest)) == "v0.30.0"


def test_a_wrong_sha256_is_refused_and_leaves_nothing(server, tmp_path):
    dest = tmp_path / "bin" / "kind-v0.30.0" / "kind"
    wrong = "0" * 64
    with pytest.raises(DockyardError) as err:
        kindtool.download_verified(f"{server}/dl/v0.30.0/kind-linux-amd64", wrong, dest, log=lambda _: None)
    assert f"sha256 {RIGHT}, expected {wrong}" in err.value.what and "\n" not in str(err.value)
    assert not dest.exists() and left_in(tmp_path / "bin") == []


def test_a_wrong_sha256_keeps_what_was_there_before(server, tmp_path):
    dest = tmp_path / "kind"
    dest.write_bytes(b"an older kind")
    with pytest.raises(DockyardError):
        kindtool.download_verified(f"{server}/dl/v0.30.0/kind-linux-amd64", "0" * 64, dest, log=lambda _: None)
    assert dest.read_bytes() == b"an older kind" and left_in(tmp_path) == ["kind"]


def test_a_failed_download_is_one_line_and_leaves_nothing(server, tmp_path):
    dest = tmp_path / "bin" / "kind"
    with pytest.raises(DockyardError) as err:
        kindtool.download_verified(f"{server}/missing", RIGHT, dest, log=lambda _: None)
    assert "downloading kind" in err.value.what and "Not Found" in err.value.what and "\n" not in str(err.value)
    assert left_in(tmp_path) == []


# -- the order: PATH, Go, the cache, the download ----------------------------------------

@pytest.fixture
def machine(monkeypatch, tmp_path, server):
    """No kind on PATH, no Go, an empty cache; downloads come from the local server."""
    monkeypatch.setenv("DOCKYARD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    (tmp_path / "path").mkdir()
    monkeypatch.setattr(gobuild, "go_version", lambda: None)
    monkeypatch.setattr(versions, "KIND_RELEASE_URL", server + "/dl/{version}/kind-{os}-{arch}")
    monkeypatch.setattr(versions, "KIND_BINARY_SHA256", {kindtool.release_platform(): RIGHT})
    return tmp_path


def put_on_path(folder: Path, version: str) -> Path:
    path = folder / "path" / "kind"
    path.write_text(f"#!/bin/sh\necho 'kind {version} go1.24.6 linux/amd64'\n")
    path.chmod(0o755)
    return path


def test_a_kind_of_the_pinned_version_on_path_comes_first(machine):
    path = put_on_path(machine, versions.KIND_VERSION)
    assert kindtool.ensure_kind(log=lambda _: None) == path
    assert not gobuild.program_path("kind").exists()


def test_another_version_on_path_is_passed_over_for_a_checked_download(machine):
    put_on_path(machine, "v0.29.0")
    got = kindtool.ensure_kind(log=lambda _: None)
    assert got == gobuild.program_path("kind") and got.read_bytes() == FAKE_KIND


def test_go_builds_it_when_go_is_there(machine, monkeypatch):
    monkeypatch.setattr(gobuild, "go_version", lambda: versions.GO_MIN_VERSION)
    monkeypatch.setattr(gobuild, "ensure_program", lambda name, log=print: Path(f"/built/{name}"))
    assert kindtool.ensure_kind(log=lambda _: None) == Path("/built/kind")


def test_the_cached_one_is_used_without_go(machine, monkeypatch):
    cached = gobuild.program_path("kind")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"cached")
    monkeypatch.setattr(kindtool, "download_verified", lambda *a, **k: pytest.fail("downloaded again"))
    assert kindtool.ensure_kind(log=lambda _: None) == cached


def test_a_wrong_release_checksum_leaves_the_cache_empty(machine, monkeypatch):
    monkeypatch.setattr(versions, "KIND_BINARY_SHA256", {kindtool.release_platform(): "f" * 64})
    with pytest.raises(DockyardError, match="expected f{64}"):
        kindtool.ensure_kind(log=lambda _: None)
    assert left_in(machine / "cache" / "bin") == []


def test_from_source_keeps_building_kind_with_go(monkeypatch):
    monkeypatch.setattr(gobuild, "ensure_program", lambda name, log=print: Path("/go-built/kind"))
    monkeypatch.setattr(kindtool, "ensure_kind", lambda log=print: Path("/found/kind"))
    monkeypatch.setattr(ways, "_settled", ways.Way(ways.FROM_SOURCE, "test"))
    assert kind.kind_binary() == "/go-built/kind"
    for other in (ways.Way(ways.ONLINE, "test"), ways.Way(ways.HERE, "test"), None):
        monkeypatch.setattr(ways, "_settled", other)
        assert kind.kind_binary() == "/found/kind"
