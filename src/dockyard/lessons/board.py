"""A live board of the workshop's containers, for a notebook shown on a projector.

A background thread asks the engine once a second for the containers that carry the
workshop label (and, optionally, whose name starts with a prefix) and redraws an
ipywidgets HTML table. Changes between two looks are listed beneath the table
("12:00:03  dy-web  running → exited"), so the room sees each cell act.

    board = Board.show(client, workshop, prefix="dy-info-")
    ...
    board.saw("dy-info-web", "running")   # for a check cell: did the board see that state?
    board.stop()

Outside a notebook the board still polls (checks work), but draws nothing.
"""
from __future__ import annotations

import html
import threading
import time

from dockyard import versions
from dockyard.display import board_frame, in_notebook

STATE_COLOURS = {
    "running": "#1a7f37", "created": "#0969da", "restarting": "#bf8700",
    "paused": "#8250df", "exited": "#6e7781", "dead": "#cf222e", "removing": "#bf8700",
    "gone": "#afb8c1",
}

# One board per prefix: running a notebook's setup cell twice replaces, not doubles, its board.
_BOARDS: dict[str, "Board"] = {}


def rows_from(summaries: list[dict], prefix: str = "") -> list[dict]:
    """Board rows from the low-level `client.api.containers(all=True)` summaries."""
    rows = []
    for s in summaries:
        name = (s.get("Names") or ["/?"])[0].lstrip("/")
        if prefix and not name.startswith(prefix):
            continue
        ports = ", ".join(f"{p['IP']}:{p['PublicPort']}→{p['PrivatePort']}"
                          for p in s.get("Ports") or [] if p.get("PublicPort"))
        rows.append({"name": name, "image": s.get("Image", ""), "state": s.get("State", ""),
                     "status": s.get("Status", ""), "ports": ports})
    return sorted(rows, key=lambda r: r["name"])


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What happened between two looks, as `name  old → new` lines (new, gone, state changes)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        lines.append(f"{name}  {old or 'new'} → {new or 'gone'}")
    return lines


def render(rows: list[dict], log: list[str], title: str = "") -> str:
    """The board as HTML: large type, one coloured state badge per container."""
    head = "".join(f"<th style='text-align:left;padding:2px 12px'>{h}</th>"
                   for h in ("container", "image", "state", "status", "ports"))
    body = ""
    for r in rows:
        colour = STATE_COLOURS.get(r["state"], "#57606a")
        badge = (f"<span style='background:{colour};color:white;border-radius:4px;"
                 f"padding:1px 8px'>{html.escape(r['state'])}</span>")
        cells = [html.escape(r["name"]), html.escape(r["image"]), badge,
                 html.escape(r["status"]), html.escape(r["ports"])]
        body += "<tr>" + "".join(f"<td style='padding:2px 12px'>{c}</td>" for c in cells) + "</tr>"
    if not rows:
        body = "<tr><td colspan=5 style='padding:2px 12px;color:#6e7781'>no containers yet</td></tr>"
    return board_frame("🐳 live board", title, f"<tr>{head}</tr>{body}", log, font_size="1.15em")


class Board:
    def __init__(self, client_factory, workshop: str, prefix: str = "", interval: float = 1.0):
        self._factory = client_factory
        self.workshop = workshop
        self.prefix = prefix
        self.interval = interval
        self.rows: list[dict] = []
        self.log: list[str] = []
        self.history: set[tuple[str, str]] = set()   # every (name, state) the board has seen
        self._states: dict[str, str] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._widget = None
        self._thread = None
        self.error = ""
        self.looks = 0

    @classmethod
    def show(cls, client, workshop: str = versions.DEFAULT_WORKSHOP, prefix: str = "",
             interval: float = 1.0) -> "Board":
        """Display a board and start refreshing it (replacing an earlier board for `prefix`)."""
        old = _BOARDS.pop(prefix, None)
        if old is not None:
            old.stop()
        # The thread gets its own connection: a docker client is not shared across threads.
        factory = _factory_like(client)
        board = cls(factory, workshop, prefix, interval)
        if in_notebook():
            import ipywidgets as w
            from IPython.display import display
            board._widget = w.HTML(render([], [], prefix))
            display(board._widget)
        board.start()
        _BOARDS[prefix] = board
        return board

    def refresh(self, client) -> None:
        """One look at the engine: update rows, the change log and the widget."""
        flt = {"label": f"{versions.LABEL_KEY}={self.workshop}"}
        rows = rows_from(client.api.containers(all=True, filters=flt), self.prefix)
        states = {r["name"]: r["state"] for r in rows}
        with self._lock:
            stamp = time.strftime("%H:%M:%S")
            self.log += [f"{stamp}  {line}" for line in changes(self._states, states)]
            self.log = self.log[-50:]
            self.history |= set(states.items())
            self._states, self.rows = states, rows
            self.looks += 1
        if self._widget is not None:
            self._widget.value = render(rows, self.log, self.prefix)

    def _run(self) -> None:
        client = self._factory()
        try:
            while not self._stop.is_set():
                try:
                    self.refresh(client)
                    self.error = ""
                except Exception as exc:  # the engine went away for a moment: say so, keep going
                    self.error = str(exc)
                self._stop.wait(self.interval)
        finally:
            client.close()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"board {self.prefix}", daemon=True)
        self._thread.start()

    def wait_refresh(self, timeout: float = 5.0) -> None:
        """Return after the board has looked at the engine once more (for check cells)."""
        with self._lock:
            before = self.looks
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if self.looks > before:
                    return
            time.sleep(0.05)

    def saw(self, name: str, state: str) -> bool:
        """Has the board ever shown `name` in `state`?"""
        with self._lock:
            return (name, state) in self.history

    def state(self, name: str) -> str:
        with self._lock:
            return self._states.get(name, "gone")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._widget is not None:
            self._widget.value = render(self.rows, self.log + ["(board stopped)"], self.prefix)
        if _BOARDS.get(self.prefix) is self:
            _BOARDS.pop(self.prefix)


def _factory_like(client):
    """A function that opens a new client to the same engine as `client`."""
    import docker
    api = client.api
    adapter = getattr(api, "_custom_adapter", None)
    socket_path = getattr(adapter, "socket_path", None)
    if socket_path:   # a Unix socket (the usual case): same path, same API version
        return lambda: docker.DockerClient(base_url=f"unix://{socket_path}", version=api.api_version)
    from dockyard.engine.probe import open_client
    return open_client   # TCP, npipe or ssh: the same endpoint and TLS as the docker CLI
