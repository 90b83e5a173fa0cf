"""A notebook's names are held by one process at a time (two processes here, no engine)."""
import subprocess
import sys
import textwrap

import pytest

from dockyard.errors import DockyardError
from dockyard.lessons.claims import claim


def hold_in_another_process(tmp_path, names: str, engine: str = "unix:///e.sock"):
    """A second process that claims `names` and waits until its stdin closes."""
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from dockyard.lessons.claims import claim
        claim({names!r}, {engine!r}, Path({str(tmp_path)!r}))
        print("held", flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_is_refused_in_one_line_and_the_first_keeps_its_names(tmp_path):
    other = hold_in_another_process(tmp_path, "dy-ctr-")
    try:
        with pytest.raises(DockyardError) as caught:
            claim("dy-ctr-", "unix:///e.sock", tmp_path)
        text = str(caught.value)
        assert "dy-ctr-" in text and f"kernel pid {other.pid}" in text and "another name_prefix" in text and "\n" not in text
        assert claim("dy-info-", "unix:///e.sock", tmp_path) == "dy-info-", "other names are free"
        assert claim("dy-ctr-", "unix:///other.sock", tmp_path) == "dy-ctr-", "the same names on another engine too"
    finally:
        other.stdin.close()
        other.wait(timeout=10)
    assert claim("dy-ctr-", "unix:///e.sock", tmp_path) == "dy-ctr-", "free again once that process ended"


def test_the_same_process_may_claim_twice(tmp_path):
    assert claim("t1-web", "unix:///e.sock", tmp_path) == claim("t1-web", "unix:///e.sock", tmp_path)
