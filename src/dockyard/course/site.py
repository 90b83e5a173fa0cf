"""`dockyard site`: the executed notebooks and labs as a static site, for those who only read.

The pages are the copies the tests executed (build/executed), with their outputs; nothing runs again
(myst-nb with nb_execution_mode "off"). Sphinx writes the site to build/site; the theme is Sphinx's
own (alabaster), so the build fetches nothing from the web.

A widget leaves no picture in an executed notebook: only its model id and a text like
`VBox(children=(HTML(...), ...))`, while its last state is in the notebook's metadata. Each widget
output is turned into plain HTML from that state (a box of its children, an HTML widget's HTML, a
text area as preformatted text), and the state is dropped so that no page loads widget scripts.
"""
from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.paths import BUILD, REPO

EXECUTED = BUILD / "executed"
SITE = BUILD / "site"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOT_ON_SITE = {"injected-parameters", "wrong"}   # papermill's test parameters; the labs' wrong answers

CONF = '''\
# Written by `dockyard site` (src/dockyard/site.py); edit it there.
project = "dockyard"
extensions = ["myst_nb"]
nb_execution_mode = "off"          # the pages show the outputs of the tests' run; nothing runs again
nb_ipywidgets_js = {}              # widgets are already plain HTML (site.py); no widget scripts
nb_merge_streams = True
html_theme = "alabaster"
html_title = "dockyard: Docker and Kubernetes, run live"
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {"page_width": "1200px", "sidebar_width": "260px"}
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]
exclude_patterns = ["_doctrees"]
'''


def widget_html(model_id: str, state: dict) -> str:
    """The widget `model_id` as plain HTML, from the state saved in the notebook."""
    model = state.get(model_id)
    if model is None:
        return ""
    name, values = model.get("model_name", ""), model.get("state", {})
    if "children" in values:   # VBox, HBox, Box
        children = "".join(widget_html(str(c).removeprefix("IPY_MODEL_"), state) for c in values["children"])
        direction = "row" if name == "HBoxModel" else "column"
        return f'<div class="dockyard-widget" style="display:flex;flex-direction:{direction};gap:4px">{children}</div>'
    value = values.get("value", "")
    if name == "HTMLModel":
        return f"<div>{value}</div>" if value else ""
    if name in ("TextareaModel", "TextModel"):
        return f'<pre class="dockyard-widget-text">{html.escape(str(value))}</pre>' if value else ""
    if name in ("LabelModel",):
        return f"<div>{html.escape(str(value))}</div>"
    if name in ("IntProgressModel", "FloatProgressModel"):
        return f'<progress value="{value}" max="{values.get("max", 100)}"></progress>'
    return f"<div>{html.escape(str(value))}</div>" if value != "" else ""


def static_copy(nb: dict) -> dict:
    """The executed notebook as the site shows it: widgets as HTML, no test-only cells."""
    state = nb.get("metadata", {}).pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    cells = []
    for cell in nb["cells"]:
        if NOT_ON_SITE & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                shown = widget_html(data.pop(WIDGET_VIEW).get("model_id", ""), state)
                if shown:
                    data["text/html"] = shown
        cells.append(cell)
    nb["cells"] = cells
    return nb


def executed_copy(path: Path, executed: Path = EXECUTED) -> Path:
    """The executed copy of a notebook or lab: a lab's is the run with its solutions."""
    return executed / (f"{path.stem}-solved.ipynb" if path.parent.name == "labs" else path.name)


def stops() -> list[Path]:
    """The notebooks and labs in the course's order (course.yml), relative to the repository."""
    from dockyard.course.manifest import load
    return load().stops()


def title(nb: dict, fallback: str) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def write_source(out: Path, executed: Path = EXECUTED) -> tuple[list[Path], list[Path]]:
    """The Sphinx source: conf.py, index.md and a static copy of each executed notebook and lab.
    Returns (the pages written, the stops that have no executed copy yet)."""
    if not any(executed.glob("*.ipynb")):
        raise DockyardError(f"{shown(executed)} has no executed notebooks",
                            "run `make test` (or `make notebooks labs`) first")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "conf.py").write_text(CONF)
    written, missing = [], []
    for stop in stops():
        source = executed_copy(stop, executed)
        if not source.exists():
            missing.append(stop)
            continue
        (out / stop).parent.mkdir(exist_ok=True)
        nb = static_copy(json.loads(source.read_text()))
        (out / stop).write_text(json.dumps(nb, indent=1, ensure_ascii=False))
        written.append(stop)
    (out / "index.md").write_text(index_page(written, missing))
    return written, missing


def index_page(written: list[Path], missing: list[Path]) -> str:
    lines = ["# dockyard: Docker and Kubernetes, run live", "",
             "Every notebook and lab of the workshop as it ran against a real Docker engine and a real kind "
             "cluster, with its outputs. Read them in this order: each notebook, then its lab "
             "(shown with its solutions). To run them yourself, see the README.", "",
             "```{toctree}", ":maxdepth: 1", ""]
    lines += [str(p.with_suffix("")) for p in written]
    lines += ["```", ""]
    if missing:
        lines += ["Not run yet, so not on this site: " + ", ".join(f"`{p}`" for p in missing) + ".", ""]
    return "\n".join(lines)


def build(out: Path = SITE, executed: Path = EXECUTED) -> dict:
    """Write the site to `out` (its Sphinx source beside it, in `out`-source, and Sphinx's warnings
    in `out`.log); returns what it holds and how long the build took."""
    started = time.monotonic()
    source, log = out.with_name(out.name + "-source"), out.with_name(out.name + ".log")
    written, missing = write_source(source, executed)
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "auto", "-w", str(log),
               "-d", str(source / "_doctrees"), str(source), str(out)]   # Sphinx's cache stays out of the site
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        said = (result.stderr.strip().splitlines() or ["(nothing)"])[-1]
        raise DockyardError(f"sphinx could not build the site: {said}", f"see {shown(log)}")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {"pages": written, "missing": missing, "seconds": time.monotonic() - started, "bytes": size,
            "index": out / "index.html"}
