import pytest

from dockyard import sparkdemo
from dockyard.errors import DockyardError

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


def test_slides_from_the_environment_first(tmp_path):
    deck = tmp_path / "deck.txt"
    deck.write_text("hello")
    assert sparkdemo.slides_path({sparkdemo.SLIDES_ENV: str(deck)}, repo=tmp_path / "repo") == deck


def test_slides_beside_the_repository(tmp_path):
    seed = tmp_path / "shared" / "seed"
    seed.mkdir(parents=True)
    (seed / sparkdemo.SLIDES_NAME).write_text("slides")
    assert sparkdemo.slides_path({}, repo=tmp_path / "main").name == sparkdemo.SLIDES_NAME


def test_missing_slides_say_how_to_point_at_them(tmp_path):
    with pytest.raises(DockyardError) as err:
        sparkdemo.slides_path({}, repo=tmp_path / "main")
    assert sparkdemo.SLIDES_ENV in str(err.value)


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
