"""The bundle's pure parts: its manifest's refusals, deterministic parts, and the checks that run
before anything is loaded (small bundles made here; the live test is tests/bundle)."""
import hashlib
import io
import json
import tarfile

import pytest

from dockyard.bundle import parts
from dockyard.bundle.load import verified
from dockyard.bundle.manifest import IMAGES, KIND, MANIFEST, NODE, Manifest, Part, engine_arch, refusal
from dockyard.errors import DockyardError

RECIPES = {"dockyard/debian:bookworm": "r0", "dockyard/busybox:1.35": "r1"}


def manifest(**changes) -> Manifest:
    fields = dict(kit_version="0.1.0", arch="amd64", kind_platform="linux/amd64", versions={},
                  images={ref: {"id": f"sha256:{i}", "recipe": r} for i, (ref, r) in enumerate(RECIPES.items())},
                  node_ref="dockyard/kind-node:v1-abc", parts=[Part(n, "0" * 64, 1, 1) for n in (IMAGES, NODE, KIND)])
    fields.update(changes)
    return Manifest(**fields)


def why(m: Manifest, arch="amd64", version="0.1.0", recipes=RECIPES, node="dockyard/kind-node:v1-abc"):
    return refusal(m, arch, version, recipes, node)


def test_a_matching_bundle_is_taken():
    assert why(manifest()) is None


def test_each_mismatch_is_named_in_one_line():
    assert "arm64 engines" in why(manifest(arch="arm64"))
    assert "dockyard 0.0.9" in why(manifest(kit_version="0.0.9"))
    assert "dockyard/busybox:1.35 changed" in why(manifest(), recipes={**RECIPES, "dockyard/busybox:1.35": "r9"})
    assert "node image" in why(manifest(), node="dockyard/kind-node:v1-new")
    assert "no kind.gz" in why(manifest(parts=[Part(IMAGES, "0", 1, 1), Part(NODE, "0", 1, 1)]))


def test_a_base_pulled_by_digest_asks_no_recipe():
    assert why(manifest(), recipes={**RECIPES, "dockyard/debian:bookworm": None}) is None


def test_engine_arch_speaks_dockers_words():
    assert engine_arch("x86_64") == "amd64" and engine_arch("aarch64") == "arm64"


def test_the_manifest_round_trips_and_refuses_another_format():
    m = manifest()
    assert Manifest.from_json(m.to_json()) == m
    with pytest.raises(ValueError, match="format 2"):
        Manifest.from_json(m.to_json().replace(b'"format": 1', b'"format": 2'))


def test_the_same_input_gives_the_same_part(tmp_path):
    chunks = [b"layer " * 1000, b"more"]
    first = parts.compress_to(parts.copy_into(chunks), tmp_path / "a.gz")
    second = parts.compress_to(parts.copy_into(chunks), tmp_path / "b.gz")
    assert first == second and (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
    assert first[2] == sum(map(len, chunks))


def a_save(stamp: int, file_in: str) -> bytes:
    """What `docker save` gives for two images sharing a layer: the file in one folder (the
    engine's random pick), a link in the other, manifest.json naming the pick; times vary."""
    other = {"aaa": "bbb", "bbb": "aaa"}[file_in]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        def add(name, data=None, kind=tarfile.REGTYPE, link=""):
            info = tarfile.TarInfo(name)
            info.type, info.mtime, info.linkname = kind, stamp, link
            info.size = len(data) if data is not None else 0
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        add(file_in, kind=tarfile.DIRTYPE)
        add(f"{file_in}/layer.tar", b"layer bytes")
        add(other, kind=tarfile.DIRTYPE)
        add(f"{other}/layer.tar", kind=tarfile.SYMTYPE, link=f"../{file_in}/layer.tar")
        add("manifest.json", json.dumps([{"RepoTags": ["b:1"], "Layers": [f"{other}/layer.tar"]},
                                         {"RepoTags": ["a:1"], "Layers": [f"{file_in}/layer.tar"]}]).encode())
    return buffer.getvalue()


def canonical(data: bytes, scratch) -> bytes:
    out = io.BytesIO()
    parts.canonical_image_tar(parts.ChunkReader([data[:700], b"", data[700:]]), out, scratch)
    return out.getvalue()


def test_the_engines_random_picks_and_times_do_not_change_the_part(tmp_path):
    one, two = a_save(1, file_in="aaa"), a_save(2, file_in="bbb")
    assert one != two and canonical(one, tmp_path / "s") == canonical(two, tmp_path / "s")
    assert not (tmp_path / "s").exists(), "the scratch folder goes"
    with tarfile.open(fileobj=io.BytesIO(canonical(two, tmp_path / "s"))) as tar:
        assert tar.getmember("aaa/layer.tar").isreg() and tar.getmember("bbb/layer.tar").issym()
        assert tar.extractfile("aaa/layer.tar").read() == b"layer bytes"
        entries = json.loads(tar.extractfile("manifest.json").read())
        assert [e["RepoTags"] for e in entries] == [["a:1"], ["b:1"]]
        assert all(e["Layers"] == ["aaa/layer.tar"] for e in entries)
        assert {m.mtime for m in tar.getmembers()} == {0}


def test_chunks_read_as_a_file():
    reader = parts.ChunkReader([b"abc", b"", b"defgh", b"i"])
    assert [reader.read(2), reader.read(4), reader.read(-1), reader.read(3)] == [b"ab", b"cdef", b"ghi", b""]


def small_bundle(tmp_path, flip: str | None = None, **changes) -> bytes:
    """A bundle with tiny parts; `flip` names a part whose first byte is changed after hashing."""
    contents = {n: n.encode() * 100 for n in (IMAGES, NODE, KIND)}
    made = [Part(n, hashlib.sha256(c).hexdigest(), len(c), len(c)) for n, c in contents.items()]
    m = manifest(parts=made, **changes)
    if flip:
        contents[flip] = bytes([contents[flip][0] ^ 1]) + contents[flip][1:]
    files = {MANIFEST: m.to_json(), **contents}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    parts.write_tar(tmp_path / "b.dockyard", [(n, tmp_path / n) for n in files])
    return (tmp_path / "b.dockyard").read_bytes()


def test_a_whole_bundle_passes_its_checks(tmp_path):
    assert verified(io.BytesIO(small_bundle(tmp_path)), "b", why).node_ref == "dockyard/kind-node:v1-abc"


def test_saving_twice_gives_the_same_file(tmp_path):
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    assert small_bundle(tmp_path / "one") == small_bundle(tmp_path / "two")


@pytest.mark.parametrize("case, expected", [
    ({"flip": NODE}, "part node-image.tar.gz is damaged"),
    ({"arch": "arm64"}, "for arm64 engines"),
    ({"kit_version": "9.9"}, "saved by dockyard 9.9"),
])
def test_a_damaged_or_foreign_bundle_is_refused_in_one_line(tmp_path, case, expected):
    with pytest.raises(DockyardError) as caught:
        verified(io.BytesIO(small_bundle(tmp_path, **case)), "b.dockyard", why)
    text = str(caught.value)
    assert expected in text and "nothing was loaded" in text and "\n" not in text


def test_a_cut_bundle_or_another_file_is_refused(tmp_path):
    whole = small_bundle(tmp_path)
    with pytest.raises(DockyardError, match="ends before|not a complete tar"):
        verified(io.BytesIO(whole[:1536]), "b", why)
    with pytest.raises(DockyardError, match="not a complete tar|no dockyard bundle"):
        verified(io.BytesIO(b"hello" * 300), "b", why)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.addfile(parts.member_info("README", 2), io.BytesIO(b"hi"))
    with pytest.raises(DockyardError, match="does not start with manifest.json"):
        verified(io.BytesIO(buffer.getvalue()), "b", why)
