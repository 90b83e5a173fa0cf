"""The frame of a lab: exercises, `%%solution` cells, checks that say "not yet", a score.

A check never raises because the learner's answer is wrong or missing: it says what is missing
and what to try. Only a broken environment (no engine, no cluster) raises, with one clear line.

Progress survives the kernel: each result is written at once to
`.dockyard-progress/<lab>.json` beside the notebook, and read back when the lab starts again.
"""
from __future__ import annotations

import html
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from dockyard import versions
from dockyard.display import ipython_shell
from dockyard.errors import DockyardError
from dockyard.lessons.claims import claim

# The summary cell publishes its results under this type too, so tests read them from the
# executed notebook instead of parsing printed text.
RESULTS_MIME = "application/vnd.dockyard.lab+json"
NOT_CHECKED = "not checked yet: run the exercise's check cell"

DONE, NOT_YET, CAUGHT_UP = "done", "not yet", "caught up"
STATUSES = (DONE, NOT_YET, CAUGHT_UP)
ICONS = {DONE: "✓", NOT_YET: "✗", CAUGHT_UP: "↷", None: "✗"}
PROGRESS_ENV = "DOCKYARD_PROGRESS_DIR"
PROGRESS_FOLDER = ".dockyard-progress"
PROGRESS_FORMAT = 1


@dataclass
class Verdict:
    """What a check found. Falsy when something is missing, so checks chain with `and`."""
    ok: bool
    message: str = ""

    def __bool__(self) -> bool:
        return self.ok


def passed(message: str = "") -> Verdict:
    return Verdict(True, message)


def missing(message: str) -> Verdict:
    return Verdict(False, message)


@dataclass
class Result:
    """What the last check (or catch-up) of one exercise recorded; `message` is as shown."""
    status: str          # DONE, NOT_YET or CAUGHT_UP
    message: str
    time: str            # ISO 8601, UTC

    @property
    def ok(self) -> bool:
        return self.status == DONE


def lab_labels(name: str, workshop: str = versions.DEFAULT_WORKSHOP) -> dict:
    """The labels a learner puts on what a lab makes: `clean` finds it, and so does `lab reset`."""
    return {versions.LABEL_KEY: workshop, versions.LAB_LABEL_KEY: name}


def progress_dir(folder: Path | str | None = None) -> Path:
    """$DOCKYARD_PROGRESS_DIR, else `<folder, by default the cwd>/.dockyard-progress`.

    A notebook's kernel runs in the notebook's folder, so the cwd is where the lab lives."""
    override = os.environ.get(PROGRESS_ENV)
    if override:
        return Path(override).expanduser()
    return Path(folder if folder is not None else Path.cwd()) / PROGRESS_FOLDER


def progress_path(name: str, folder: Path | str | None = None) -> Path:
    return progress_dir(folder) / f"{name}.json"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _in_kernel() -> bool:
    from dockyard.display import in_notebook
    return in_notebook()


def read_progress(path: Path) -> dict[str, Result]:
    """The stored results; {} when there are none. ValueError when the file is not ours."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    data = json.loads(text)
    entries = data.get("exercises") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ValueError("no 'exercises' object")
    out = {}
    for key, entry in entries.items():
        if not (isinstance(entry, dict) and entry.get("status") in STATUSES
                and isinstance(entry.get("message"), str) and isinstance(entry.get("time"), str)):
            raise ValueError(f"bad entry for {key!r}")
        out[key] = Result(entry["status"], entry["message"], entry["time"])
    return out


def write_progress(path: Path, name: str, results: dict[str, Result]) -> None:
    """Write atomically: a crash mid-write leaves the old file, never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": PROGRESS_FORMAT, "lab": name, "exercises": {
        key: {"status": r.status, "message": r.message, "time": r.time} for key, r in results.items()}}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, ensure_ascii=False)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Lab:
    """One lab notebook: its exercises in order, and what each check last found.

    Results are stored as they happen where `progress_dir` says; by default in $DOCKYARD_PROGRESS_DIR,
    else beside the notebook when running in a kernel. Scripts and unit tests store nothing
    unless asked, so they never leave files in the cwd.
    """

    def __init__(self, name: str, exercises: dict[str, str], workshop: str = versions.DEFAULT_WORKSHOP,
                 *, progress_dir: Path | str | None = None):
        self.name = name
        if _in_kernel():   # lab.reset() clears what carries this lab's label, whatever the prefix: one kernel per lab
            claim(f"the lab {name}", fix="carry on in the kernel that has this lab open, or shut it down first")
        self.exercises = dict(exercises)          # key -> title, in the order of the notebook
        self.labels = lab_labels(name, workshop)
        self.results: dict[str, Result] = {}
        self.checks: dict[str, tuple[str, Callable[[], Verdict]]] = {}   # registered in this kernel
        self.progress_file = self._progress_file(progress_dir)
        self._save_failed = False
        self._report_failed = False
        self.resumed = self._load()
        _register_solution_magic()

    # -- checks

    def check(self, exercise: str, done: str, verdict: Verdict | Callable[[], Verdict]) -> None:
        """Record and print one check: `✓ done`, or `✗ not yet: <what is missing>`.

        `verdict` is a Verdict, or a zero-argument function returning one: a function is
        kept, so `recheck()` can run it again. Returns nothing, so a check cell shows its line
        and no stray True/False."""
        self._known(exercise)
        if callable(verdict):
            self.checks[exercise] = (done, verdict)   # before running it: a broken engine can recheck later
            verdict = verdict()
        if not isinstance(verdict, Verdict):
            raise TypeError(f"the check of {exercise!r} gave {type(verdict).__name__}, not a Verdict")
        before = self.results.get(exercise)
        if not verdict.ok:
            status, message = NOT_YET, f"not yet: {verdict.message}"
        elif before is not None and before.status == CAUGHT_UP:
            status, message = CAUGHT_UP, f"caught up: {done}"   # the solution did it, not the learner
        else:
            status, message = DONE, done
        self._record(exercise, status, message)
        print(f"{ICONS[status]} {message}")

    def checker(self, exercise: str, done: str) -> Callable:
        """Decorator form of a re-runnable check: runs the function now and records it.

            @lab.checker("web", "container `web` is running")
            def web_is_running():
                return check.container_running(client, WEB) and check.answers(URL)
        """
        self._known(exercise)

        def register(probe: Callable[[], Verdict]) -> Callable[[], Verdict]:
            self.check(exercise, done, probe)
            return probe
        return register

    def recheck(self):
        """Run every check again that ran in this kernel as a function, then show the score."""
        for key, title in self.exercises.items():
            if key in self.checks:
                done, probe = self.checks[key]
                self.check(key, done, probe)
            else:
                print(f"· {title}: run its check cell once, then recheck() can run it again")
        return self.summary()

    # -- catching up

    def catch_up(self, to: str, notebook: Path | str | None = None, namespace: dict | None = None) -> None:
        """For a latecomer: run the solutions of the exercises before `to` and mark them caught up.

        The solutions are read from the notebook file (the kernel does not know which file it
        runs): by default the one in the cwd whose name gives this lab's name. Exercises already
        done or caught up are skipped. They run in `namespace`, by default the notebook's."""
        self._known(to)
        keys = list(self.exercises)
        todo = [k for k in keys[:keys.index(to)]
                if self.results.get(k) is None or self.results[k].status == NOT_YET]
        if not todo:
            print(f"nothing to catch up on before {self.exercises[to]!r}")
            return
        path = self._notebook(notebook)
        sources = solution_sources(path, self.exercises)
        lacking = [k for k in todo if k not in sources]
        if lacking:
            raise DockyardError(f"{path.name} has no solution cell for {', '.join(lacking)}",
                                "check the notebook= argument")
        shell_ns = namespace if namespace is not None else _user_namespace()
        ran = []
        for key in todo:
            try:
                for code in sources[key]:
                    exec(compile(code, f"<solution of {key}>", "exec"), shell_ns)
            except DockyardError:
                raise
            except Exception as err:   # e.g. half of it done by hand: say so, keep what ran
                print(f"✗ could not catch up on {self.exercises[key]!r}: {type(err).__name__}: {err}")
                break
            self._record(key, CAUGHT_UP, "caught up: its solution ran")
            ran.append(key)
            print(f"{ICONS[CAUGHT_UP]} caught up on {self.exercises[key]!r}: its solution ran")
        if len(ran) == len(todo):
            print(f"your turn: {self.exercises[to]!r}")

    def _notebook(self, notebook: Path | str | None) -> Path:
        if notebook is not None:
            path = Path(notebook).expanduser()
            if not path.is_file():
                raise DockyardError(f"there is no notebook {path}", "pass notebook= the lab's .ipynb file")
            return path
        path = lab_names(Path.cwd()).get(self.name)
        if path is None:
            raise DockyardError(f"no notebook of lab {self.name} in {Path.cwd()}",
                                'pass it: lab.catch_up(to=..., notebook="NN-name.ipynb")')
        return path

    # -- progress on disk

    def _progress_file(self, folder) -> Path | None:
        if folder is not None:
            return Path(folder).expanduser() / f"{self.name}.json"
        if os.environ.get(PROGRESS_ENV) or _in_kernel():
            return progress_path(self.name)
        return None

    def _load(self) -> bool:
        """Read earlier results; say in one line what was found. True when there were any."""
        if self.progress_file is None:
            return False
        try:
            stored = read_progress(self.progress_file)
        except OSError as err:
            print(f"(earlier progress not read: {err})")
            return False
        except ValueError:   # includes broken JSON: not ours to repair, keep it for a look
            path = self.progress_file
            bad = path.with_name(path.name + ".bad")
            try:
                os.replace(path, bad)
                print(f"(progress file {path} was unreadable: set aside as {bad.name}, starting afresh)")
            except OSError as err:
                print(f"(progress file {path} was unreadable and could not be set aside: {err})")
            return False
        self.results = {k: r for k, r in stored.items() if k in self.exercises}   # a lab may drop one
        if not self.results:
            return False
        counts = self.counts()
        extra = f", {counts[CAUGHT_UP]} caught up" if counts[CAUGHT_UP] else ""
        print(f"welcome back: {counts[DONE]} of {len(self.exercises)} done{extra}"
              " — run `lab.recheck()` to check again")
        return True

    def _record(self, exercise: str, status: str, message: str) -> None:
        self.results[exercise] = Result(status, message, _now())
        self._report()
        if self.progress_file is None:
            return
        try:
            write_progress(self.progress_file, self.name, self.results)
        except OSError as err:
            if not self._save_failed:   # once: the check itself still counts in this kernel
                print(f"(progress not saved to {self.progress_file}: {err})")
            self._save_failed = True

    def _report(self) -> None:
        """In a classroom, tell the room's board (its URL and this server's token are in the
        environment). The board is a help, not the record: a failure is said once and ignored."""
        url, token, user = (os.environ.get(k) for k in
                            (versions.PROGRESS_URL_ENV, "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_USER"))
        if not (url and token and user):
            return
        import requests
        report = {"lab": self.name, "order": list(self.exercises), "exercises": {
            key: {"status": r.status, "title": self.exercises[key], "time": r.time}
            for key, r in self.results.items()}}
        try:
            answer = requests.post(f"{url}/{user}", json=report, timeout=3,
                                   headers={"Authorization": f"token {token}"})
            answer.raise_for_status()
        except requests.RequestException as err:
            if not self._report_failed:
                print(f"(the room's board did not take this result: {err})")
            self._report_failed = True

    def forget(self) -> None:
        """Drop every result, here and on disk: the lab starts again."""
        had = bool(self.results) or (self.progress_file is not None and self.progress_file.exists())
        self.results = {}
        self.resumed = False
        if had:
            self._report()
        if self.progress_file is not None:
            self.progress_file.unlink(missing_ok=True)
        if had:
            print(f"(progress of {self.name} forgotten: the lab starts again)")

    # -- the rest

    def _known(self, exercise: str) -> None:
        if exercise not in self.exercises:
            raise KeyError(f"unknown exercise {exercise!r}; this lab has {list(self.exercises)}")

    def reset(self, log=print) -> int:
        """Remove what this lab's exercises made (`dockyard lab reset NAME` does the same), and
        forget its progress, which would otherwise claim work that is gone."""
        from dockyard.engine import connect
        from dockyard.ops.cleanup import reset_lab
        removed = len(reset_lab(connect(), self.name, log=log))
        self.forget()
        return removed

    def rows(self) -> list[dict]:
        """One row per exercise, in order, including those never checked."""
        out = []
        for key, title in self.exercises.items():
            result = self.results.get(key)
            out.append({"exercise": key, "title": title, "ok": result is not None and result.ok,
                        "checked": result is not None,
                        "status": result.status if result is not None else None,
                        "time": result.time if result is not None else None,
                        "message": result.message if result is not None else NOT_CHECKED})
        return out

    def counts(self) -> dict[str, int]:
        """How many exercises are done, caught up and not yet (never checked counts as not yet)."""
        statuses = [r["status"] for r in self.rows()]
        return {DONE: statuses.count(DONE), CAUGHT_UP: statuses.count(CAUGHT_UP),
                NOT_YET: len(statuses) - statuses.count(DONE) - statuses.count(CAUGHT_UP)}

    def score(self) -> tuple[int, int]:
        rows = self.rows()
        return sum(r["ok"] for r in rows), len(rows)

    def summary(self):
        """The learner's progress across the lab, as a table (and as data for the tests)."""
        done, total = self.score()
        rows = self.rows()
        counts = self.counts()
        text = "\n".join([headline(self.name, rows, done, total)] +
                         [f"  {_icon(r)} {r['title']}: {r['message']}" for r in rows])
        data = {"lab": self.name, "done": done, "total": total,
                "caught_up": counts[CAUGHT_UP], "not_yet": counts[NOT_YET], "results": rows}
        from dockyard.display import in_notebook
        if not in_notebook():
            print(text)
            return data
        from IPython.display import display
        display({RESULTS_MIME: data, "text/html": summary_html(self.name, rows, done, total),
                 "text/plain": text}, raw=True)
        return None


def headline(name: str, rows: list[dict], done: int, total: int) -> str:
    """`lab: 2 of 3 exercises done`, and the split when a solution did some of them."""
    caught = sum(r.get("status") == CAUGHT_UP for r in rows)
    line = f"{name}: {done} of {total} exercises done"
    if caught:
        line += f" ({done} done, {caught} caught up, {total - done - caught} not yet)"
    return line


def _icon(row: dict) -> str:
    status = row.get("status")
    return ICONS[status] if status else ("✓" if row["ok"] else "✗")


def summary_html(name: str, rows: list[dict], done: int, total: int) -> str:
    colour = "#1a7f37" if done == total else "#9a6700"
    lines = "".join(
        f"<tr><td style='font-size:1.3em'>{_icon(r)}</td>"
        f"<td style='text-align:left'><b>{html.escape(r['title'])}</b></td>"
        f"<td style='text-align:left'>{html.escape(r['message'])}</td></tr>" for r in rows)
    return (f"<div><h3 style='color:{colour}'>{html.escape(headline(name, rows, done, total))}</h3>"
            f"<table>{lines}</table></div>")


def lab_names(folder: Path) -> dict[str, Path]:
    """Lab name -> notebook: labs/01-docker-basics.ipynb is the lab `docker-basics`."""
    return {lab_name(p.stem): p for p in sorted(folder.glob("*.ipynb"))}


def lab_name(stem: str) -> str:
    head, _, rest = stem.partition("-")
    return rest if head.isdigit() and rest else stem


def results_from_notebook(nb) -> dict | None:
    """The summary a lab published, read from an executed notebook (nbformat node)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RESULTS_MIME in data:
                return data[RESULTS_MIME]
    return None


_CHECK_CALL = re.compile(r"""\.check(?:er)?\(\s*(?:exercise\s*=\s*)?(["'])(.+?)\1""")


def solution_sources(notebook: Path, exercises) -> dict[str, list[str]]:
    """Exercise -> the code of its solution cells, read from a notebook file.

    A solution belongs to the exercise whose check cell (`lab.check("key", ...)` or
    `@lab.checker("key", ...)`) comes next, so no extra tagging is needed."""
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DockyardError(f"cannot read the notebook {notebook}: {err}") from None
    found: dict[str, list[str]] = {}
    pending: list[str] = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" in tags or source.lstrip().startswith("%%solution"):
            lines = source.lstrip().splitlines()
            if lines and lines[0].startswith("%%solution"):
                lines = lines[1:]
            pending.append("\n".join(lines))
            continue
        keys = [m.group(2) for m in _CHECK_CALL.finditer(source) if m.group(2) in exercises]
        if keys and pending:
            found.setdefault(keys[0], []).extend(pending)
            pending = []
    return found


def _user_namespace() -> dict:
    """The notebook's globals, where the solutions expect `client`, `WEB` and the rest."""
    shell = ipython_shell()
    if shell is None:
        raise DockyardError("catch_up runs solutions in a notebook", "outside one, pass namespace=globals()")
    return shell.user_ns


def _register_solution_magic() -> None:
    """`%%solution` runs its cell only when the notebook's `solutions` variable is True."""
    shell = ipython_shell()
    if shell is None:
        return

    def solution(line, cell):
        # Read at each run, so setting `solutions = True` anywhere takes effect at once.
        if not shell.user_ns.get("solutions", False):
            print("(solution not run: write your own code in the cell above, "
                  "or set solutions = True to see it work)")
            return
        exec(compile(cell, "<solution>", "exec"), shell.user_ns)

    shell.register_magic_function(solution, magic_kind="cell", magic_name="solution")


def named(prefix: str, name: str) -> str:
    """`web` for a learner (no prefix); `t1a2b3-web` in a test run, so runs never collide."""
    return f"{prefix}-{name}" if prefix else name
