import pytest

from dockyard.archive import joined, names, read_member, tar_of
from dockyard.errors import DockyardError
from dockyard.waits import wait_until


def test_tar_of_round_trips_text_and_bytes():
    data = tar_of({"htpasswd": "user:$2y$05$abc\n", "bin/blob": b"\x00\x01"})
    assert names(data) == ["htpasswd", "bin/blob"]
    assert read_member(data, "htpasswd") == b"user:$2y$05$abc\n"
    assert read_member(data, "bin/blob") == b"\x00\x01"


def test_joined_concatenates_a_stream():
    assert joined(iter([b"ab", b"", b"c"])) == b"abc"


def test_wait_until_returns_the_first_truthy_value():
    answers = iter([None, ValueError("not yet"), 0, "ready"])

    def probe():
        value = next(answers)
        if isinstance(value, Exception):
            raise value
        return value
    assert wait_until(probe, timeout=5, interval=0) == "ready"


def test_wait_until_says_what_it_waited_for():
    def probe():
        raise ConnectionError("refused")
    with pytest.raises(DockyardError) as caught:
        wait_until(probe, timeout=0.05, interval=0.01, what="the registry")
    assert "the registry" in str(caught.value) and "refused" in str(caught.value)
