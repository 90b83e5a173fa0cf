"""Classroom progress: reports checked, kept, saved, and shown on the presenter's board."""
from __future__ import annotations

import json

import pytest

from dockyard.classroom.progress import (ProgressStore, board_html, board_rows, scores,
                                         validate_report)
from dockyard.errors import DockyardError

T = "2025-05-01T10:00:00+00:00"
ORDER = ["run", "ports", "volumes"]


def report(lab="docker-basics", order=ORDER, **statuses):
    body = {"lab": lab, "exercises": {k: {"status": s.replace("_", " "), "title": f"Exercise {k}", "time": T}
                                      for k, s in statuses.items()}}
    if order is not None:
        body["order"] = list(order)
    return body


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- validation

def test_a_good_report_comes_back_cleaned():
    body = report(run="done", ports="not_yet")
    body["exercises"]["run"]["message"] = "container runs"   # labkit's extra field: dropped
    body["extra"] = 1
    cleaned = validate_report(body)
    assert cleaned == {"lab": "docker-basics", "order": ORDER, "exercises": {
        "run": {"status": "done", "title": "Exercise run", "time": T},
        "ports": {"status": "not yet", "title": "Exercise ports", "time": T}}}
    assert "message" in body["exercises"]["run"]   # the input is not changed


def test_order_and_title_are_optional():
    cleaned = validate_report({"lab": "k8s-1", "exercises": {"a_1": {"status": "caught up", "time": "2025-05-01T10:00:00Z"}}})
    assert cleaned["order"] == [] and cleaned["exercises"]["a_1"]["title"] == ""


def many(n):
    return {f"e{i}": {"status": "done", "time": T} for i in range(n)}


@pytest.mark.parametrize("body, words", [
    ([], "not a JSON object"),
    ({"exercises": {}}, "'lab'"),
    ({"lab": "Docker", "exercises": {}}, "'lab'"),
    ({"lab": "a" * 65, "exercises": {}}, "'lab'"),
    ({"lab": "lab\n", "exercises": {}}, "'lab'"),
    ({"lab": "x"}, "'exercises'"),
    ({"lab": "x", "exercises": []}, "'exercises'"),
    ({"lab": "x", "exercises": many(51)}, "at most 50"),
    ({"lab": "x", "exercises": many(30), "order": [f"o{i}" for i in range(30)]}, "at most 50"),
    ({"lab": "x", "exercises": {"Bad Key": {"status": "done", "time": T}}}, "exercise key"),
    ({"lab": "x", "exercises": {"k" * 41: {"status": "done", "time": T}}}, "exercise key"),
    ({"lab": "x", "exercises": {"a": "done"}}, "'status'"),
    ({"lab": "x", "exercises": {"a": {"status": "passed", "time": T}}}, "'status'"),
    ({"lab": "x", "exercises": {"a": {"status": "done", "time": T, "title": "t" * 121}}}, "'title'"),
    ({"lab": "x", "exercises": {"a": {"status": "done", "time": T, "title": 3}}}, "'title'"),
    ({"lab": "x", "exercises": {"a": {"status": "done"}}}, "'time'"),
    ({"lab": "x", "exercises": {"a": {"status": "done", "time": "yesterday"}}}, "'time'"),
    ({"lab": "x", "exercises": {}, "order": "a,b"}, "'order'"),
    ({"lab": "x", "exercises": {}, "order": ["a", 2]}, "'order'"),
    ({"lab": "x", "exercises": {}, "order": ["a", "a"]}, "twice"),
    ({"lab": "x", "exercises": {}, "order": ["no way"]}, "exercise key"),
])
def test_a_bad_report_is_refused_in_one_line(body, words):
    with pytest.raises(ValueError) as caught:
        validate_report(body)
    assert words in str(caught.value) and "\n" not in str(caught.value)


# -- the store

def test_the_store_keeps_each_users_labs_and_times():
    clock = Clock(100)
    store = ProgressStore(clock=clock)
    assert store.record("ada", report(run="not_yet")) is True          # a new exercise is progress
    clock.now = 150
    assert store.record("ada", report(run="not_yet")) is False         # same again: only seen
    assert store.record("ada", report(run="done"), now=200) is True
    assert store.record("ada", report(run="not_yet"), now=250) is False   # going back is not progress
    store.record("bob", report(lab="k8s-pods", order=None, pod="caught_up"), now=300)
    snap = store.snapshot()
    assert store.users() == ["ada", "bob"]
    ada = snap["users"]["ada"]
    assert (ada["lab"], ada["last_seen"], ada["last_progress"]) == ("docker-basics", 250, 200)
    assert ada["labs"]["docker-basics"]["order"] == ORDER
    assert snap["users"]["bob"]["labs"]["k8s-pods"]["exercises"]["pod"]["status"] == "caught up"
    json.dumps(snap)
    snap["users"].clear()                                               # a copy, not the store
    assert store.users() == ["ada", "bob"]


def test_the_current_lab_is_the_latest_report_and_the_order_is_remembered():
    store = ProgressStore(clock=Clock())
    store.record("ada", report(run="done"))
    store.record("ada", report(lab="k8s-pods", order=["pod"], pod="done"))
    store.record("ada", report(order=None, run="done", ports="done"))   # no order this time: keep the last
    user = store.snapshot()["users"]["ada"]
    assert user["lab"] == "docker-basics" and user["labs"]["docker-basics"]["order"] == ORDER
    assert set(user["labs"]) == {"docker-basics", "k8s-pods"}


def test_a_bad_report_or_user_changes_nothing():
    store = ProgressStore(clock=Clock())
    with pytest.raises(ValueError):
        store.record("ada", {"lab": "x", "exercises": {"a": {"status": "?"}}})
    with pytest.raises(ValueError):
        store.record("", report())
    assert store.users() == []


def test_a_store_with_a_file_survives_a_restart(tmp_path):
    path = tmp_path / "state" / "progress.json"
    first = ProgressStore(path, clock=Clock(10))
    first.record("ada", report(run="done"))
    first.record("bob", report(run="not_yet"), now=20)
    assert json.loads(path.read_text())["users"]["ada"]["last_progress"] == 10
    assert [p.name for p in path.parent.iterdir()] == ["progress.json"]   # no temporary file left
    again = ProgressStore(path)
    assert again.snapshot() == first.snapshot()


@pytest.mark.parametrize("text", [
    "{not json",
    "[]",
    '{"users": {"ada": {"lab": "x"}}}',
    '{"users": {"ada": {"lab": "x", "last_seen": 1, "last_progress": null, '
    '"labs": {"x": {"exercises": {"a": {"status": "maybe", "time": "2025-01-01"}}, "order": []}}}}}',
])
def test_a_corrupt_file_is_kept_aside_and_the_store_starts_empty(tmp_path, text):
    path = tmp_path / "progress.json"
    path.write_text(text)
    store = ProgressStore(path, clock=Clock())
    assert store.users() == []
    assert (tmp_path / "progress.json.bad").read_text() == text
    store.record("ada", report(run="done"))
    assert ProgressStore(path).users() == ["ada"]


def test_a_failed_save_says_so_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = ProgressStore(blocker / "progress.json", clock=Clock())
    with pytest.raises(DockyardError) as caught:
        store.record("ada", report(run="done"))
    assert "not saved" in caught.value.what and caught.value.fix
    assert store.users() == ["ada"]   # still on the board


# -- the board

def test_board_rows_follow_the_class_list_then_others_by_name():
    clock = Clock(1000)
    store = ProgressStore(clock=clock)
    store.record("zoe", report(run="done", ports="caught_up", volumes="done"))   # finished
    store.record("ada", report(run="done"))                                     # working
    store.record("yan", report(run="not_yet"), now=100)                         # stuck since 100
    store.record("max", report(lab="k8s-pods", order=None, pod="not_yet"))      # not on the list
    rows = board_rows(store, ["carl", "ada", "yan", "zoe", "ada"], now=1300, stuck_after=600)
    assert [r["user"] for r in rows] == ["carl", "ada", "yan", "zoe", "max"]
    by = {r["user"]: r for r in rows}
    assert by["carl"] == {"user": "carl", "lab": None, "done": 0, "total": 0, "exercises": [],
                          "state": "not started", "idle_seconds": None}
    assert (by["ada"]["state"], by["ada"]["idle_seconds"]) == ("working", 300)
    assert (by["yan"]["state"], by["yan"]["idle_seconds"]) == ("stuck", 1200)
    assert (by["zoe"]["state"], by["zoe"]["done"], by["zoe"]["total"]) == ("finished", 2, 3)
    assert by["ada"]["exercises"] == [{"key": "run", "title": "Exercise run", "status": "done"},
                                      {"key": "ports", "title": "ports", "status": None},
                                      {"key": "volumes", "title": "volumes", "status": None}]
    assert (by["max"]["lab"], by["max"]["total"]) == ("k8s-pods", 1)


def test_stuck_comes_with_the_clock_and_goes_with_progress():
    store = ProgressStore(clock=Clock(0))
    store.record("ada", report(run="not_yet"))
    state = lambda now: board_rows(store, ["ada"], now=now, stuck_after=600)[0]["state"]
    assert state(599) == "working" and state(600) == "stuck"
    store.record("ada", report(run="not_yet"), now=700)     # seen, but no progress: still stuck
    assert state(700) == "stuck"
    store.record("ada", report(run="done"), now=800)
    assert state(800) == "working"


def test_stuck_counts_from_the_first_report_when_it_brought_nothing():
    store = ProgressStore(clock=Clock(0))
    store.record("ada", report(), now=50)    # the lab opened, nothing checked yet
    row = board_rows(store, ["ada"], now=700)[0]
    assert (row["state"], row["idle_seconds"], row["total"]) == ("stuck", 650, 3)


def test_exercises_outside_the_order_come_last():
    store = ProgressStore(clock=Clock())
    store.record("ada", report(order=["run", "ports"], extra="done", run="done"))
    keys = [e["key"] for e in board_rows(store, [], now=1000)[0]["exercises"]]
    assert keys == ["run", "ports", "extra"]


def test_scores_count_done_but_not_caught_up():
    store = ProgressStore(clock=Clock())
    store.record("ada", report(run="done", ports="done", volumes="caught_up"))
    store.record("bob", report(run="caught_up", ports="caught_up", volumes="caught_up"))
    store.record("cy", report(lab="k8s-pods", pod="done"))
    assert scores(store, "docker-basics") == {"ada": 2, "bob": 0}
    assert scores(store, "k8s-pods") == {"cy": 1}
    assert scores(store, "nope") == {}


def test_the_board_page_escapes_what_users_send_and_carries_exact_scores():
    store = ProgressStore(clock=Clock(0))
    body = report(run="done", ports="caught_up", volumes="not_yet")
    body["exercises"]["run"]["title"] = '<img src=x onerror="alert(1)">'
    store.record("<script>", body)
    store.record("ada", report(run="done"), now=0)
    page = board_html(board_rows(store, ["ada", "carl"], now=900), "Docker <b>day</b>", "10:00:05")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<meta http-equiv="refresh" content="5">' in page
    assert "<script>" not in page and "<img" not in page and "<b>day" not in page
    assert 'data-user="&lt;script&gt;"' in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert 'class="score" data-done="1" data-total="3"' in page
    assert 'data-user="carl"' in page and 'class="score" data-done="0" data-total="0"' in page
    for icon in "✓↷✗·":
        assert icon in page
    assert 'class="state stuck"' in page and "http" not in page.replace("http-equiv", "")   # nothing external
