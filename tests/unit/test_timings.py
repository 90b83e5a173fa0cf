import json

from dockyard import timings
def test_record_and_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKYARD_TIMINGS", str(tmp_path / "t.json"))
    timings.record("prepare", "engine up", 1.234)
    with timings.timed("notebooks", "00") as extra:
        extra["passed"] = True
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["prepare"]["engine up"]["seconds"] == 1.23
    assert data["notebooks"]["00"]["passed"] is True
    assert [r[0] for r in timings.summary(data)] == ["notebooks", "prepare"]


def test_writers_in_parallel_lose_nothing(tmp_path, monkeypatch):
    import multiprocessing
    monkeypatch.setenv("DOCKYARD_TIMINGS", str(tmp_path / "t.json"))
    from dockyard.timings import record
    procs = [multiprocessing.Process(target=record, args=("s", f"n{i}", i)) for i in range(12)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    import json
    assert len(json.loads((tmp_path / "t.json").read_text())["s"]) == 12
