"""Progress, tables and pictures, for the terminal (rich) and for notebooks (ipywidgets)."""
from __future__ import annotations

import contextvars
import html
import sys
import threading
import time
from contextlib import contextmanager, nullcontext


def ipython_shell():
    """The running IPython shell, or None (no IPython, or not inside one)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def in_notebook() -> bool:
    shell = ipython_shell()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


class Progress:
    """Named steps with a status line each, like kind's "✓ Preparing nodes".

    `with progress.step("Building image x"):` shows the step while it runs, streams
    `progress.line(...)` beneath it, and ends with ✓ and the time (or ✗).
    """

    def __init__(self, title: str = ""):
        self.title = title
        self._notebook = in_notebook()
        self._widgets = None
        if self._notebook:
            import ipywidgets as w
            from IPython.display import display
            self._status = w.HTML(f"<b>{title}</b>")
            self._log = w.Textarea(layout=w.Layout(width="100%", height="8em"), disabled=True)
            self._done = w.HTML()
            self._widgets = w.VBox([self._status, self._done, self._log])
            display(self._widgets)
        self._lines: list[str] = []
        self._current = ""

    def _show(self, text: str) -> None:
        if self._notebook:
            self._status.value = f"<b>{text}</b>"
        elif sys.stderr.isatty():
            sys.stderr.write("\r\033[K" + text[:120])
            sys.stderr.flush()

    def line(self, text: str) -> None:
        text = text.rstrip()
        if not text:
            return
        self._lines = (self._lines + [text])[-200:]
        if self._notebook:
            self._log.value = "\n".join(self._lines[-8:])
        else:
            self._show(f" • {self._current}: {text}")

    def _finish(self, mark: str, name: str, seconds: float) -> None:
        text = f" {mark} {name} ({seconds:.1f}s)"
        if self._notebook:
            self._done.value += f"<div>{text}</div>"
        else:
            if sys.stderr.isatty():
                sys.stderr.write("\r\033[K")
            print(text, flush=True)

    @contextmanager
    def step(self, name: str):
        self._current = name
        self._show(f" • {name} …")
        start = time.monotonic()
        # A quiet stretch (apt-get -qq, a layer written) still shows the seconds going by.
        ticking = (_ticking(lambda seconds: self._show(f" • {name} … {seconds:.0f} s"))
                   if self._notebook else nullcontext())
        try:
            with ticking:
                yield self
        except BaseException:
            self._finish("✗", name, time.monotonic() - start)
            raise
        self._finish("✓", name, time.monotonic() - start)
        if self._notebook:
            self._status.value = f"<b>{self.title}</b>"


class LoggedProgress(Progress):
    """Steps run beside another Progress (another process's): no status line of their own (the
    terminal has one), a line per finished step, prefixed with the title, the details in a file."""

    def __init__(self, title: str, log_path):
        self.title, self.log_path = title, log_path
        self._notebook, self._widgets = False, None
        self._lines, self._current = [], ""

    def _show(self, text: str) -> None:
        pass

    def line(self, text: str) -> None:
        if text.strip():
            with open(self.log_path, "a") as log:
                log.write(text.rstrip() + "\n")

    def _finish(self, mark: str, name: str, seconds: float) -> None:
        if sys.stderr.isatty():
            sys.stderr.write("\r\033[K")
        print(f" {mark} {self.title}: {name} ({seconds:.1f}s)", flush=True)


WAIT_SHOWN_AFTER = 2.0   # seconds: a shorter wait shows nothing, a longer one counts up


@contextmanager
def _ticking(show, after: float = WAIT_SHOWN_AFTER, every: float = 1.0):
    """Call show(seconds so far) from a thread once the block has run `after` seconds, then every
    `every` seconds, until it ends."""
    start, done = time.monotonic(), threading.Event()

    def tick() -> None:
        wait = after
        while not done.wait(wait):
            show(time.monotonic() - start)
            wait = every

    # The copied context carries the running cell's identity, so what it shows lands in that cell.
    ticker = threading.Thread(target=contextvars.copy_context().run, args=(tick,), daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()


@contextmanager
def waiting(what: str, after: float = WAIT_SHOWN_AFTER, every: float = 1.0):
    """In a notebook, while the block waits (a watch, a copy, a job): once it has taken `after`
    seconds, one output line counts up, `… waiting for <what>: 7 s`, so a room never looks at a
    frozen cell; it ends as `waited 12.3 s for <what>` (no ✓: in a lab that mark means a check
    passed). Elsewhere nothing: the CLI has its Progress."""
    if not in_notebook():
        yield
        return
    from IPython.display import display
    start, handle = time.monotonic(), []

    def show(text: str) -> None:
        if handle:
            handle[0].update({"text/plain": text}, raw=True)
        else:
            handle.append(display({"text/plain": text}, raw=True, display_id=True))

    ended = "stopped waiting"
    try:
        with _ticking(lambda seconds: show(f"… waiting for {what}: {seconds:.0f} s"), after, every):
            yield
        ended = "waited"
    finally:
        if handle:
            show(f"{ended} {time.monotonic() - start:.1f} s for {what}")


def table(rows: list[dict], columns: list[str] | None = None):
    """A readable table: a pandas DataFrame in notebooks, aligned text in the terminal."""
    columns = columns or (list(rows[0]) if rows else [])
    if in_notebook():
        import pandas as pd
        return pd.DataFrame(rows, columns=columns)
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


BOARD_LOG_LINES = 6   # recent changes shown beneath a live board; more push the table off a projected screen


def board_frame(heading: str, title: str, rows_html: str, log: list[str], font_size: str = "1.1em") -> str:
    """The frame every live board draws: heading and title, its table, the last few log lines.

    `rows_html` is the table's rows, already HTML; the heading, title and log are text.
    """
    recent = "<br>".join(html.escape(line) for line in log[-BOARD_LOG_LINES:])
    return (f"<div style='font-size:{font_size};font-family:sans-serif'>"
            f"<b>{html.escape(heading)}</b> <span style='color:#6e7781'>{html.escape(title)}</span>"
            f"<table style='border-collapse:collapse'>{rows_html}</table>"
            f"<div style='font-family:monospace;color:#57606a;margin-top:4px'>{recent}</div></div>")


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
