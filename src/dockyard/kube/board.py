"""A live board of a namespace's pods, one column per node, fed by the API server's watch.

    board = KubeBoard.show(context, namespace)
    ...
    board.saw_status("CrashLoopBackOff")    # for a check cell: did the board ever show it?
    board.stop()

A background thread lists the pods once, then watches them: every ADDED / MODIFIED /
DELETED event redraws the board (no polling), and the change is logged beneath it
("12:00:03  web-7c9  Pending → Running  on dockyard-worker2"). Outside a notebook the board
still follows the pods (checks work) but draws nothing.
"""
from __future__ import annotations

import html
import threading
import time

from dockyard.display import board_frame, in_notebook
from dockyard.kube import node_roles, pod_ready, pod_status

STATUS_COLOURS = {
    "Running": "#1a7f37", "Pending": "#0969da", "ContainerCreating": "#0969da",
    "Succeeded": "#6e7781", "Completed": "#6e7781", "Terminating": "#bf8700",
    "CrashLoopBackOff": "#cf222e", "Error": "#cf222e", "Failed": "#cf222e",
    "ErrImageNeverPull": "#cf222e", "ImagePullBackOff": "#cf222e", "gone": "#afb8c1",
}
UNSCHEDULED = "(not scheduled)"

_BOARDS: dict[str, "KubeBoard"] = {}


def pod_word(pod) -> str:
    word = pod_status(pod)
    return f"{word} ✓" if word == "Running" and pod_ready(pod) else word


def columns(pods: dict, nodes: list[str]) -> dict[str, list[tuple[str, str]]]:
    """{node: [(pod, word)…]} with every known node (even empty) and unscheduled pods last."""
    out: dict[str, list[tuple[str, str]]] = {n: [] for n in nodes}
    for name, (node, word) in sorted(pods.items()):
        out.setdefault(node or UNSCHEDULED, []).append((name, word))
    return out


def render(cols: dict, log: list[str], title: str = "", roles: dict | None = None) -> str:
    roles = roles or {}
    cells = ""
    for node, pods in cols.items():
        badges = "".join(
            f"<div style='margin:3px 0'><span style='background:{STATUS_COLOURS.get(word.rstrip(' ✓'), '#57606a')};"
            f"color:white;border-radius:4px;padding:1px 6px'>{html.escape(word)}</span> "
            f"{html.escape(name)}</div>" for name, word in pods) or "<div style='color:#8c959f'>no pods</div>"
        role = html.escape(roles.get(node, ""))
        cells += (f"<td style='vertical-align:top;padding:6px 14px;border:1px solid #d0d7de;min-width:14em'>"
                  f"<b>{html.escape(node)}</b> <span style='color:#6e7781'>{role}</span>{badges}</td>")
    return board_frame("☸ pods by node", title, f"<tr>{cells}</tr>", log)


class KubeBoard:
    def __init__(self, context: str, namespace: str):
        self.context = context
        self.namespace = namespace
        self.pods: dict[str, tuple[str, str]] = {}     # pod -> (node, word)
        self.nodes: list[str] = []
        self.roles: dict[str, str] = {}
        self.log: list[str] = []
        self.history: set[tuple[str, str]] = set()
        self.events = 0
        self.error = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._widget = None
        self._watch = None

    @classmethod
    def show(cls, context: str, namespace: str) -> "KubeBoard":
        """Display the board and start following the namespace (replacing an earlier board of it)."""
        old = _BOARDS.pop(namespace, None)
        if old is not None:
            old.stop()
        board = cls(context, namespace)
        if in_notebook():
            import ipywidgets as w
            from IPython.display import display
            board._widget = w.HTML(render({}, [], namespace))
            display(board._widget)
        board._thread = threading.Thread(target=board._run, name=f"kube board {namespace}", daemon=True)
        board._thread.start()
        _BOARDS[namespace] = board
        return board

    # -- the thread ----------------------------------------------------------------------
    def _apply(self, kind: str, pod) -> None:
        name = pod.metadata.name
        node = pod.spec.node_name or ""
        word = "gone" if kind == "DELETED" else pod_word(pod)
        with self._lock:
            before = self.pods.get(name)
            if kind == "DELETED":
                self.pods.pop(name, None)
            else:
                self.pods[name] = (node, word)
            self.history.add((name, word))
            self.events += 1
            if before is None or before != (node, word):
                old = before[1] if before else "new"
                where = f"  on {node}" if node else ""
                self.log = (self.log + [f"{time.strftime('%H:%M:%S')}  {name}  {old} → {word}{where}"])[-50:]
        self._draw()

    def _draw(self) -> None:
        if self._widget is None:
            return
        with self._lock:
            text = render(columns(self.pods, self.nodes), self.log, self.namespace, self.roles)
        self._widget.value = text

    def _run(self) -> None:
        from kubernetes import client, watch
        from dockyard.kube import api_client
        try:
            api = api_client(self.context)
        except Exception as err:
            self.error = str(err)
            return
        core = client.CoreV1Api(api)
        while not self._stop.is_set():
            try:
                nodes = core.list_node(_request_timeout=10).items
                with self._lock:
                    self.nodes = sorted(n.metadata.name for n in nodes)
                    self.roles = {n.metadata.name: node_roles(n) for n in nodes}
                listing = core.list_namespaced_pod(self.namespace, _request_timeout=10)
                names = {p.metadata.name for p in listing.items}
                for name in [n for n in self.pods if n not in names]:
                    with self._lock:
                        self.pods.pop(name, None)
                for pod in listing.items:
                    self._apply("ADDED", pod)
                self._draw()
                rv = listing.metadata.resource_version
                while not self._stop.is_set():
                    self._watch = watch.Watch()
                    for event in self._watch.stream(core.list_namespaced_pod, self.namespace,
                                                    resource_version=rv, timeout_seconds=5,
                                                    _request_timeout=15):
                        if event["type"] == "BOOKMARK":
                            continue
                        rv = event["object"].metadata.resource_version
                        self._apply(event["type"], event["object"])
                        if self._stop.is_set():
                            break
                self.error = ""
            except Exception as err:   # 410 Gone, or the API server hiccuped: list again
                self.error = f"{type(err).__name__}: {err}"
                self._stop.wait(1)
        api.close()

    # -- for check cells -----------------------------------------------------------------
    def saw(self, pod: str, word: str, timeout: float = 5.0) -> bool:
        """Has the board shown `pod` as `word`? (Waits up to `timeout`: the board's own watch
        may be a few milliseconds behind the cell's.)"""
        return self._eventually(lambda: (pod, word) in self.history, timeout)

    def saw_status(self, word: str, timeout: float = 5.0) -> bool:
        return self._eventually(lambda: any(w == word for _, w in self.history), timeout)

    def _eventually(self, test, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while True:
            with self._lock:
                if test():
                    return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.05)

    def snapshot(self) -> dict[str, tuple[str, str]]:
        with self._lock:
            return dict(self.pods)

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        """True once predicate(snapshot) holds (the board runs behind the API by a few ms)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate(self.snapshot()):
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.stop()
        if self._thread is not None:
            self._thread.join(timeout=7)
        if self._widget is not None:
            with self._lock:
                self._widget.value = render(columns(self.pods, self.nodes), self.log + ["(board stopped)"],
                                            self.namespace, self.roles)
        if _BOARDS.get(self.namespace) is self:
            _BOARDS.pop(self.namespace)
