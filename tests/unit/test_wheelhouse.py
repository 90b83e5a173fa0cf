from dockyard.images import wheelhouse as wh

PIP_ERROR = """ERROR: Could not find a version that satisfies the requirement pyspark==4.3.0 (from versions: none)
ERROR: No matching distribution found for pyspark==4.3.0
"""


def test_missing_binaries_names_the_requirement_pip_had_no_wheel_for():
    assert wh.missing_binaries(PIP_ERROR) == ["pyspark==4.3.0"]
    assert wh.missing_binaries("ERROR: network unreachable") == []


def test_missing_binaries_once_each():
    assert wh.missing_binaries(PIP_ERROR + PIP_ERROR) == ["pyspark==4.3.0"]


def test_pinned_requirements():
    assert wh.pinned("pyspark==4.3.0") == ("pyspark", "4.3.0")
    assert wh.pinned(" Flask == 3.1.2 ") == ("Flask", "3.1.2")
    assert wh.pinned("pyspark[sql]==4.3.0") == ("pyspark", "4.3.0")
    assert wh.pinned("pyspark>=4") is None
    assert wh.pinned("pyspark") is None


def test_normalize_follows_wheel_file_names():
    assert wh.normalize("Zope.Interface") == "zope_interface"
    assert wh.normalize("typing-extensions") == "typing_extensions"


def test_cached_file_finds_the_pinned_wheel_or_sdist(tmp_path):
    import zipfile
    for name in ("pyspark-4.3.0-py2.py3-none-any.whl", "pyspark-4.2.0-py2.py3-none-any.whl"):
        with zipfile.ZipFile(tmp_path / name, "w") as z:   # a wheel is a zip, checked before use
            z.writestr("pyspark/__init__.py", "")
    (tmp_path / "typing_extensions-4.12.0.tar.gz").write_bytes(b"")
    assert wh.cached_file(tmp_path, "pyspark==4.3.0", (".whl",)).name.startswith("pyspark-4.3.0-")
    assert wh.cached_file(tmp_path, "pyspark==4.1.0", (".whl",)) is None
    assert wh.cached_file(tmp_path, "typing-extensions==4.12.0", (".tar.gz",)) is not None
    assert wh.cached_file(tmp_path, "pyspark", (".whl",)) is None  # unpinned: never a cache hit


def test_cached_file_tolerates_a_missing_folder(tmp_path):
    assert wh.cached_file(tmp_path / "absent", "pyspark==4.3.0", (".whl",)) is None
