"""Classroom progress: what each learner's lab checks report, and the presenter's live board.

Each learner's server posts a lab's whole progress (the same results `labkit` keeps in
`.dockyard-progress/<lab>.json`); a report replaces what was known of that lab, so a
`lab.reset()` shows on the board too. Pure: the JupyterHub service does the web and the scopes.
"""
from __future__ import annotations

import copy
import html
import json
import os
import re
import tempfile
import time
from datetime import datetime
from pathlib import Path

from dockyard.errors import DockyardError

DONE, NOT_YET, CAUGHT_UP = "done", "not yet", "caught up"
STATUSES = (DONE, NOT_YET, CAUGHT_UP)
MAX_EXERCISES, MAX_TITLE = 50, 120
STORE_FORMAT = 1
_LAB = re.compile(r"[a-z0-9-]{1,64}")
_KEY = re.compile(r"[a-z0-9_-]{1,40}")


def validate_report(body: dict) -> dict:
    """A cleaned copy of a report (unknown fields dropped); ValueError with one line otherwise."""
    if not isinstance(body, dict):
        raise ValueError("the report is not a JSON object")
    lab = body.get("lab")
    if not (isinstance(lab, str) and _LAB.fullmatch(lab)):
        raise ValueError("'lab' must be 1-64 characters of a-z, 0-9 and '-'")
    exercises = body.get("exercises")
    if not isinstance(exercises, dict):
        raise ValueError("'exercises' must be an object")
    order = body.get("order", [])
    if not (isinstance(order, list) and all(isinstance(k, str) for k in order)):
        raise ValueError("'order' must be a list of exercise keys")
    if len(set(order)) != len(order):
        raise ValueError("'order' names an exercise twice")
    if len(set(order) | set(exercises)) > MAX_EXERCISES:
        raise ValueError(f"a lab has at most {MAX_EXERCISES} exercises")
    for key in [*order, *exercises]:
        if not (isinstance(key, str) and _KEY.fullmatch(key)):
            raise ValueError(f"exercise key {str(key)[:50]!r} must be 1-40 characters of a-z, 0-9, '_' and '-'")
    cleaned = {}
    for key, entry in exercises.items():
        if not isinstance(entry, dict) or entry.get("status") not in STATUSES:
            raise ValueError(f"exercise {key!r}: 'status' must be one of {', '.join(STATUSES)}")
        title = entry.get("title", "")
        if not isinstance(title, str) or len(title) > MAX_TITLE:
            raise ValueError(f"exercise {key!r}: 'title' must be text of at most {MAX_TITLE} characters")
        stamp = entry.get("time")
        try:
            datetime.fromisoformat(stamp)
        except (TypeError, ValueError):
            raise ValueError(f"exercise {key!r}: 'time' must be an ISO-8601 date and time") from None
        cleaned[key] = {"status": entry["status"], "title": title, "time": stamp}
    return {"lab": lab, "exercises": cleaned, "order": list(order)}


def _progressed(before: dict, after: dict) -> bool:
    """A new exercise, or one that became done / caught up: the learner moved on."""
    return any(key not in before or (entry["status"] != before[key]["status"] and entry["status"] != NOT_YET)
               for key, entry in after.items())


class ProgressStore:
    """Per user: current lab, last_seen, last_progress, and per lab the exercises and their order."""

    def __init__(self, path: Path | None = None, clock=time.time):
        self.path = Path(path) if path is not None else None
        self.clock = clock
        self._users: dict[str, dict] = {}
        if self.path is not None and self.path.exists():
            self._load()

    def record(self, user: str, report: dict, now: float | None = None) -> bool:
        """Keep a report; True when it counts as progress. Saved at once when the store has a file."""
        if not (isinstance(user, str) and 0 < len(user) <= 100):
            raise ValueError("the user name must be 1-100 characters")
        report = validate_report(report)
        now = self.clock() if now is None else now
        entry = self._users.setdefault(user, {"lab": None, "last_seen": now, "last_progress": None, "labs": {}})
        before = entry["labs"].get(report["lab"], {"exercises": {}, "order": []})
        progressed = _progressed(before["exercises"], report["exercises"])
        entry["labs"][report["lab"]] = {"exercises": report["exercises"],
                                        "order": report["order"] or before["order"]}
        entry.update(lab=report["lab"], last_seen=now)
        if progressed:
            entry["last_progress"] = now
        self._save()
        return progressed

    def users(self) -> list[str]:
        return sorted(self._users)

    def snapshot(self) -> dict:
        return {"format": STORE_FORMAT, "users": copy.deepcopy(self._users)}

    def _save(self) -> None:
        """Atomic: a crash mid-write leaves the previous file, never half of one."""
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(self.snapshot(), out, ensure_ascii=False)
                os.replace(tmp, self.path)
            finally:
                Path(tmp).unlink(missing_ok=True)
        except OSError as e:
            raise DockyardError(f"progress kept in memory but not saved to {self.path}: {e.strerror or e}",
                                "check that the folder is writable and the disk has space") from e

    def _load(self) -> None:
        """Read the saved store; a file we cannot use is kept as `<name>.bad` and we start empty."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = {name: self._checked_user(name, entry) for name, entry in data["users"].items()}
        except Exception:   # any damage at all: the board must come up, empty
            try:
                os.replace(self.path, self.path.with_name(self.path.name + ".bad"))
            except OSError:
                pass
            return
        self._users = users

    @staticmethod
    def _checked_user(name: str, entry: dict) -> dict:
        labs = {lab: validate_report({**data, "lab": lab}) for lab, data in entry["labs"].items()}
        if not (isinstance(name, str) and (entry["lab"] is None or entry["lab"] in labs)
                and isinstance(entry["last_seen"], (int, float))
                and isinstance(entry["last_progress"], (int, float, type(None)))):
            raise ValueError(f"bad entry for {name!r}")
        return {"lab": entry["lab"], "last_seen": entry["last_seen"], "last_progress": entry["last_progress"],
                "labs": {lab: {"exercises": r["exercises"], "order": r["order"]} for lab, r in labs.items()}}


def _row(user: str, entry: dict | None, now: float, stuck_after: float) -> dict:
    if entry is None or entry["lab"] is None:
        return {"user": user, "lab": None, "done": 0, "total": 0, "exercises": [],
                "state": "not started", "idle_seconds": None}
    lab = entry["labs"][entry["lab"]]
    known = lab["exercises"]
    keys = lab["order"] + [k for k in known if k not in lab["order"]]   # reported but not in the order: last
    exercises = [{"key": k, "title": known.get(k, {}).get("title") or k, "status": known.get(k, {}).get("status")}
                 for k in keys]
    done = sum(e["status"] == DONE for e in exercises)
    idle = max(0.0, now - (entry["last_progress"] if entry["last_progress"] is not None else entry["last_seen"]))
    if exercises and all(e["status"] in (DONE, CAUGHT_UP) for e in exercises):
        state = "finished"
    else:
        state = "stuck" if idle >= stuck_after else "working"
    return {"user": user, "lab": entry["lab"], "done": done, "total": len(exercises), "exercises": exercises,
            "state": state, "idle_seconds": int(idle)}


def board_rows(store: ProgressStore, learners: list[str], now: float, stuck_after: float = 600) -> list[dict]:
    """The class list in its order, then anyone else who reported, by name."""
    users = store.snapshot()["users"]
    named = list(dict.fromkeys(learners))
    extra = sorted(set(users) - set(named))
    return [_row(u, users.get(u), now, stuck_after) for u in named + extra]


def scores(store: ProgressStore, lab: str) -> dict[str, int]:
    """Exercises each learner did in `lab`; caught up does not count (the solution did it)."""
    users = store.snapshot()["users"]
    return {user: sum(e["status"] == DONE for e in entry["labs"][lab]["exercises"].values())
            for user, entry in sorted(users.items()) if lab in entry["labs"]}


CELLS = {DONE: ("✓", "done"), CAUGHT_UP: ("↷", "caught-up"), NOT_YET: ("✗", "not-yet"), None: ("·", "unchecked")}
STYLE = """body{font-family:system-ui,sans-serif;margin:1.5rem;font-size:1.3rem}table{border-collapse:collapse}
td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}td.ex{text-align:center;font-weight:bold}
.done{color:#1a7f37}.caught-up{color:#6e7781}.not-yet{color:#cf222e}.unchecked{color:#afb8c1}
.state{font-weight:bold;border-radius:.3rem}.not-started{color:#6e7781}.working{color:#0969da}
.finished{color:#1a7f37}.stuck{background:#e8590c;color:#fff}small{color:#6e7781}"""


def _idle(seconds: int) -> str:
    return f" · {seconds // 60} min" if seconds >= 60 else f" · {seconds} s"


def board_html(rows: list[dict], title: str, refreshed: str) -> str:
    """A whole page for a projector; it reloads itself every 5 seconds."""
    esc = html.escape
    width = max([len(r["exercises"]) for r in rows] + [1])
    body = []
    for r in rows:
        cells = "".join(f'<td class="ex {CELLS[e["status"]][1]}" data-key="{esc(e["key"])}" '
                        f'title="{esc(e["title"])}">{CELLS[e["status"]][0]}</td>' for e in r["exercises"])
        pad = width - len(r["exercises"])
        cells += f'<td colspan="{pad}"></td>' if pad else ""
        state = r["state"]
        body.append(f'<tr data-user="{esc(r["user"])}"><td>{esc(r["user"])}</td><td>{esc(r["lab"] or "—")}</td>'
                    f'{cells}<td class="score" data-done="{r["done"]}" data-total="{r["total"]}">'
                    f'{r["done"]}/{r["total"]}</td><td class="state {state.replace(" ", "-")}">'
                    f'{esc(state)}{_idle(r["idle_seconds"]) if state == "stuck" else ""}</td></tr>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="5"><title>{esc(title)}</title><style>{STYLE}</style></head>'
            f'<body><h1>{esc(title)}</h1><table><thead><tr><th>Learner</th><th>Lab</th>'
            f'<th colspan="{width}">Exercises</th><th>Done</th><th>State</th></tr></thead><tbody>'
            + "".join(body) + f'</tbody></table><p><small>Refreshed {esc(refreshed)}</small></p></body></html>\n')
