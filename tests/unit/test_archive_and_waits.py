import pytest

from dockyard.errors import DockyardError
from dockyard.lessons.archive import joined, names, read_member, tar_of
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


class _Container:
    """A stand-in for a docker-py Container whose health goes through `statuses`, one per reload."""

    name = "web"

    def __init__(self, statuses):
        self.statuses, self.attrs = list(statuses), {}

    def reload(self):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        self.attrs = {"State": {} if status is None else {"Health": {"Status": status}}}


def test_wait_health_returns_healthy():
    from dockyard.waits import wait_health
    assert wait_health(_Container(["starting", "starting", "healthy"]), timeout=5) == "healthy"


def test_wait_health_says_unhealthy_at_once_even_if_it_recovers_later():
    from dockyard.waits import wait_health
    assert wait_health(_Container(["starting", "unhealthy", "healthy"]), timeout=5) == "unhealthy"


def test_wait_health_without_a_healthcheck_raises():
    from dockyard.waits import wait_health
    with pytest.raises(DockyardError, match="no HEALTHCHECK"):
        wait_health(_Container([None]), timeout=5)


def test_wait_health_times_out_while_starting():
    from dockyard.waits import wait_health
    with pytest.raises(DockyardError, match="to be healthy"):
        wait_health(_Container(["starting"]), timeout=0.1)
