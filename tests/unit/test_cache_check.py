import zipfile

from dockyard.cache_check import intact, seal, sidecar, wheel_intact
from dockyard.images.wheelhouse import cached_file


def test_a_truncated_binary_is_not_intact(tmp_path):
    binary = tmp_path / "kubelet"
    binary.write_bytes(b"\x7fELF" + b"x" * 4096)
    seal(binary)
    assert intact(binary)
    binary.write_bytes(binary.read_bytes()[:1000])   # a copy cut short
    assert not intact(binary)
    assert not intact(tmp_path / "missing")


def test_a_file_from_before_hashes_were_kept_is_sealed_once(tmp_path):
    binary = tmp_path / "kind"
    binary.write_bytes(b"kind")
    assert intact(binary) and sidecar(binary).exists()


def wheel(path, body=b"print('hi')\n" * 100):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("flask/__init__.py", body)
    return path


def test_a_truncated_wheel_is_found_and_dropped_from_the_cache(tmp_path):
    good = wheel(tmp_path / "flask-3.1.2-py3-none-any.whl")
    assert wheel_intact(good)
    assert cached_file(tmp_path, "flask==3.1.2", (".whl",)) == good
    good.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    assert not wheel_intact(good)
    assert cached_file(tmp_path, "flask==3.1.2", (".whl",)) is None, "the caller fetches it again"
    assert not good.exists()
