import json

import pytest

from dockyard.errors import DockyardError
from dockyard.lessons import sparkdemo
from dockyard.paths import REPO

MEMINFO = """MemTotal:       24000000 kB
MemFree:         1000000 kB
MemAvailable:    8192000 kB
"""


def test_memory_plan_grows_with_workers():
    two, three = sparkdemo.memory_plan(2), sparkdemo.memory_plan(3)
    assert sum(three.values()) > sum(two.values())
    assert set(three) == {"master", "3 worker daemons", "3 executors", "driver", "headroom"}


def test_memory_check_prefers_mem_available():
    check = sparkdemo.check_memory(engine_mem_total=64 * 1024**3, workers=3, meminfo=MEMINFO)
    assert check.available_mb == 8000
    assert check.ok


def test_memory_check_falls_back_to_the_engine_total():
    check = sparkdemo.check_memory(engine_mem_total=2 * 1024**3, workers=3, meminfo=None)
    assert check.available_mb == 2048
    assert not check.ok and check.needed_mb > 2048


def test_meminfo_without_mem_available_falls_back_to_the_engine_total():
    check = sparkdemo.check_memory(engine_mem_total=2 * 1024**3, workers=3, meminfo="MemTotal: 1 kB\n")
    assert check.available_mb == 2048


def _notebook(path, *cells):
    path.write_text(json.dumps({"cells": [{"cell_type": kind, "source": source, "metadata": {}}
                                          for kind, source in cells]}))


def test_kit_prose_joins_the_markdown_cells_of_every_notebook(tmp_path):
    _notebook(tmp_path / "b.ipynb", ("markdown", ["## Two\n", "words here"]))
    _notebook(tmp_path / "a.ipynb", ("markdown", "# One"), ("code", "print('not prose')"), ("markdown", "  "))
    (tmp_path / "notes.txt").write_text("not a notebook")
    assert sparkdemo.kit_prose(tmp_path) == "# One\n\n## Two\nwords here\n"


def test_kit_prose_reads_the_repository_only():
    assert sparkdemo.NOTEBOOKS.parent == REPO
    prose = sparkdemo.kit_prose()
    assert "Spark, right away" in prose                # demo2's own title
    assert "setup()  # errors from the kit" not in prose   # 00-start-here's code stays out


def test_kit_prose_without_notebooks_says_so(tmp_path):
    with pytest.raises(DockyardError) as err:
        sparkdemo.kit_prose(tmp_path)
    assert str(tmp_path) in str(err.value)


def test_alive_workers_from_the_master_json():
    state = {"workers": [{"host": "w1", "state": "ALIVE"}, {"host": "w2", "state": "DEAD"}]}
    assert [w["host"] for w in sparkdemo.alive_workers(state)] == ["w1"]
    assert sparkdemo.alive_workers({}) == []


def test_result_of_takes_the_last_result_line():
    out = 'noise\nRESULT {"a": 1}\nmore\nRESULT {"pi": 3.14}\n'
    assert sparkdemo.result_of(out) == {"pi": 3.14}


def test_result_of_without_a_result_line():
    with pytest.raises(DockyardError):
        sparkdemo.result_of("nothing here")
