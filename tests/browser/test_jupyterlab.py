"""The learner's JupyterLab, driven in a real browser: open 00-start-here, run all, see ✓.

JupyterLab starts the way `make lab` starts it (dockyard.course.jupyterlab.lab_command), on 127.0.0.1
with a token, serving a copy of the notebooks so that autosave never writes into the repo.
Playwright drives Debian's chromium; it downloads no browser.
"""
import contextlib
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from dockyard.course.jupyterlab import START_NOTEBOOK, lab_command, write_quiet_settings
from dockyard.course.workspace import seed
from dockyard.host.ports import free_port
from dockyard.paths import BUILD, REPO
from dockyard.timings import record
from support.chromium import chromium

pytestmark = pytest.mark.notebook  # live: a skip counts as a failure

OUT = BUILD / "browser"
SCREENSHOT = OUT / "00-start-here.png"          # the top: preflight widget and first checks
SCREENSHOT_END = OUT / "00-start-here-end.png"  # the last cells
SCREENSHOT_LAB = OUT / "learner-lab-1.png"
LEARNER_LAB = "labs/01-docker-basics.ipynb"
PROMPTS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt"   # the open notebook's
RUN_ALL_TIMEOUT_MS = int(os.environ.get("DOCKYARD_BROWSER_TIMEOUT_MS", 180_000))


def wait_for_server(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"jupyter lab exited with code {server.returncode}; see {OUT / 'jupyterlab.log'}")
        try:
            opener.open(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"jupyter lab did not answer on {url} within {timeout:.0f}s")


@pytest.fixture(scope="module")
def jupyterlab():
    """A JupyterLab server of our own on a free loopback port; stopped and its copy removed after."""
    root = OUT / "root"
    for old in (root, OUT / "workspaces", OUT / "settings"):   # no tabs restored from a previous run
        shutil.rmtree(old, ignore_errors=True)
    seed(root)   # as `make lab` does: the learner's copy, in a workspace outside git
    write_quiet_settings()
    port, token = free_port(), secrets.token_hex(16)
    command = lab_command("127.0.0.1", port, root=root, token=token, open_browser=False)
    # Workspaces and settings of this run stay in build/, never in the user's ~/.jupyter.
    command += [f"--LabApp.workspaces_dir={OUT / 'workspaces'}", f"--LabApp.user_settings_dir={OUT / 'settings'}"]
    log = open(OUT / "jupyterlab.log", "w")
    server = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_server(f"http://127.0.0.1:{port}/api/status?token={token}", server)
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def check_cell_count() -> int:
    nb = nbformat.read(REPO / START_NOTEBOOK, as_version=4)
    return sum("check" in c.metadata.get("tags", []) for c in nb.cells)


def preflight_cell_index() -> int:
    nb = nbformat.read(REPO / START_NOTEBOOK, as_version=4)
    return next(i for i, c in enumerate(nb.cells) if 'Progress("Preflight")' in c.source)


def run_all_cells(page, base: str, token: str, path: str, url: str | None = None):
    """Open `path` (at `url`, by default its own) in JupyterLab, Run > Run All Cells, and wait
    until every code cell has run."""
    # `reset`: a fresh workspace, so the tab of an earlier test is not restored beside this one
    # (two notebook panels made "the first cell" ambiguous, and a click could land on a hidden one).
    page.goto(f"{base}{url if url is not None else f'/lab/tree/{path}'}?token={token}&reset")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    notebook.locator(".jp-Cell").first.wait_for(timeout=60_000)
    # The kernel of the notebook's metadata ("Python (dockyard)") starts on its own.
    page.get_by_text(re.compile(r"Python \(dockyard\) \| Idle")).wait_for(timeout=60_000)
    notebook.locator(".jp-Cell").first.click()   # make this notebook the current one
    # A just-opened notebook can ignore Run All while it settles: try again until a cell starts.
    for attempt in range(3):
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            page.wait_for_function(f"""() => [...document.querySelectorAll('{PROMPTS}')]
                .some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))""", timeout=15_000)
            break
        except Exception:
            if attempt == 2:
                raise
    # Done when every shown code cell has an execution number: none is pending ([*]) or unrun ([ ]).
    # (A folded cell shows an empty prompt.)
    try:
        _wait_all_run(page)
    except Exception as err:
        page.screenshot(path=str(OUT / f"failed-{Path(path).stem}.png"))
        prompts = page.evaluate(f"() => [...document.querySelectorAll('{PROMPTS}')].map(e => e.textContent)")
        # What the last cell that ran printed: Run All stops at a cell that fails, and that says why.
        said = page.evaluate("""() => {
            const ran = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')]
                .filter(c => /\\[\\d+\\]/.test(c.querySelector('.jp-InputPrompt')?.textContent || ''));
            const last = ran[ran.length - 1];
            return last ? (last.querySelector('.jp-OutputArea')?.innerText || '') : '';
        }""")
        raise AssertionError(f"{path}: not every cell ran; prompts: {prompts}; "
                             f"the last cell that ran printed: {said[-1500:]!r}") from err
    return notebook


def _wait_all_run(page) -> None:
    page.wait_for_function(
        """() => {
            const p = [...document.querySelectorAll('""" + PROMPTS + """')];
            return p.length > 0 && p.every(e => e.textContent === '' || /\\[\\d+\\]/.test(e.textContent));
        }""", timeout=RUN_ALL_TIMEOUT_MS)


@pytest.fixture(scope="module")
def browser():
    OUT.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


def test_start_here_runs_in_a_real_browser(jupyterlab, browser):
    base, token = jupyterlab
    start = time.monotonic()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # The server's front page, as `make lab` opens it: it must land on 00-start-here by itself.
    notebook = run_all_cells(page, base, token, START_NOTEBOOK, url="/")
    assert notebook.locator(".jp-Cell").first.inner_text().strip().startswith("Start here")
    seconds = time.monotonic() - start
    texts = notebook.locator(".jp-OutputArea-output").all_inner_texts()
    ticks = sum(t.count("✓") for t in texts)
    crosses = [t for t in texts if "✗" in t or "Traceback" in t]
    # JupyterLab renders a widget only once its cell is in view: bring the preflight's cell there.
    notebook.locator(".jp-Cell").nth(preflight_cell_index()).scroll_into_view_if_needed()
    # Wait for the widget's content, not its frame: on a busy machine the box is in the page
    # seconds before its steps are drawn into it.
    widget = notebook.locator(".jupyter-widgets.widget-vbox", has_text="✓ engine")
    with contextlib.suppress(PlaywrightTimeout):
        widget.first.wait_for(timeout=30_000)
        # The widget itself in view, not only its cell: Chromium gives no text for what the
        # notebook leaves undrawn below the screen (content-visibility).
        widget.first.scroll_into_view_if_needed()
    widget_text = widget.first.inner_text() if widget.count() else ""
    page.screenshot(path=str(SCREENSHOT_END))
    notebook.locator(".jp-Cell").first.scroll_into_view_if_needed()
    notebook.locator(".jp-Cell").first.click()
    page.screenshot(path=str(SCREENSHOT))
    page.keyboard.press("Control+s")   # what autosave does later: the outputs go to the workspace
    saved = OUT / "root" / START_NOTEBOOK
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(c.get("outputs") for c in nbformat.read(saved, 4).cells):
        time.sleep(0.5)
    page.close()
    assert any(c.get("outputs") for c in nbformat.read(saved, 4).cells), "the run was saved into the workspace"
    record("browser", "00-start-here, run all", seconds, passed=not crosses)
    assert not crosses, f"outputs with ✗ or a traceback: {crosses[:3]}"
    assert ticks >= check_cell_count(), f"{ticks} ✓ marks for {check_cell_count()} check cells"
    assert "Preflight" in widget_text and "✓ engine" in widget_text, \
        f"the preflight's progress widget rendered its steps (found {widget_text[:80]!r})"
    assert SCREENSHOT.stat().st_size > 10_000, f"{SCREENSHOT} is a real screenshot"


def test_learner_copy_of_a_lab_hides_solutions_and_says_not_yet(jupyterlab, browser):
    """The learner's lab 1 as a learner sees it: solutions folded and not run, hints closed, score 0."""
    base, token = jupyterlab
    start = time.monotonic()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    notebook = run_all_cells(page, base, token, LEARNER_LAB)
    seconds = time.monotonic() - start
    folded = notebook.locator(".jp-InputPlaceholder").count()
    hints = page.evaluate("""() => [...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell details')].map(d => d.open)""")
    texts = notebook.locator(".jp-OutputArea-output").all_inner_texts()
    notebook.get_by_role("heading", name=re.compile("Exercise 1")).scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT_LAB))   # exercise 1: folded hint, empty cell, folded solution
    page.close()
    record("browser", "learner's lab 1, run all", seconds)
    assert folded == 3, f"{folded} cells are folded; the lab has 3 solution cells"
    assert hints == [False, False, False], f"hints open: {hints}"
    assert any("docker-basics: 0 of 3 exercises done" in t for t in texts), texts[-3:]
    assert sum(t.count("✗ not yet:") for t in texts) >= 3
    assert not any("Traceback" in t for t in texts), "no check raised"


def git_status() -> str:
    """What git sees changed where JupyterLab could write: the notebooks and labs it serves copies of."""
    return subprocess.run(["git", "status", "--porcelain", "--", "notebooks", "labs"], cwd=REPO,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="module", autouse=True)
def the_checkout_stays_clean():
    """A session in JupyterLab writes into the workspace only: the checkout's git status is unchanged."""
    before = git_status()
    yield
    assert git_status() == before, "a JupyterLab session changed files of the checkout"


SLIDES_NOTEBOOK = "notebooks/05-info.ipynb"
SLIDES_PREFIX = "dyslides"           # names of its own: nothing another test runs is touched
SCREENSHOT_SLIDES = OUT / "slides-05-info.png"
CURRENT_SLIDE = "section.present:not(.stack)"


def _run_in_place(page, cell) -> None:
    """Run one cell where it stands on the slide (Ctrl+Enter: the slide does not move on), and wait
    until it has run, as a presenter does. Going on at once once ran the cell before again: the
    next cell's click had landed, yet the earlier cell was the active one when the keys came."""
    cell.locator(".jp-InputArea-editor").click()
    expect(cell).to_have_class(re.compile(r"\bjp-mod-active\b"))
    page.keyboard.press("Control+Enter")
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"), timeout=90_000)


def test_a_notebook_presents_as_slides_and_a_live_cell_runs_on_its_slide(jupyterlab, browser):
    """The presenter's copy of 05-info in the slideshow (jupyterlab-rise): the title slide, the setup
    below it, then the first point's live cell run on its slide; the engine has its containers."""
    import docker
    from dockyard.course.variants import write_copy

    base, token = jupyterlab
    served = OUT / "root" / "presenter" / Path(SLIDES_NOTEBOOK).name
    write_copy(REPO / SLIDES_NOTEBOOK, served, "presenter")
    nb = nbformat.read(served, 4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = re.sub(r'name_prefix = "[^"]*"', f'name_prefix = "{SLIDES_PREFIX}"', params.source)
    nbformat.write(nb, served)
    engine = docker.from_env()
    ours = {"name": f"^{SLIDES_PREFIX}-info-"}
    start = time.monotonic()
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{base}/rise/presenter/{served.name}?token={token}")
        title = page.locator(CURRENT_SLIDE).first
        title.get_by_role("heading", name=re.compile(r"^5 · Info")).wait_for(timeout=60_000)
        # Setup is the vertical slide below the title: run its cells, as a presenter does before the talk.
        page.locator(".reveal .controls .navigate-down").click()
        setup = page.locator(f"{CURRENT_SLIDE} .jp-CodeCell")
        setup.first.wait_for()
        for i in range(setup.count()):
            _run_in_place(page, setup.nth(i))
        # → the first point's slide, → its live cell appears (a fragment), and runs in place.
        page.locator(".reveal .controls .navigate-right").click()
        heading = page.locator(CURRENT_SLIDE).get_by_role("heading", name="A few containers to look at")
        heading.wait_for()
        assert not engine.containers.list(all=True, filters=ours), "nothing runs before the cell does"
        page.locator(".reveal .controls .navigate-right").click()
        live = page.locator(f"{CURRENT_SLIDE} .fragment.visible .jp-CodeCell").first
        live.wait_for()
        _run_in_place(page, live)
        live.locator(".jp-OutputArea-output").first.wait_for(timeout=60_000)
        page.keyboard.press("Escape")
        said = live.locator(".jp-OutputArea").inner_text()
        box = heading.bounding_box()
        page.screenshot(path=str(SCREENSHOT_SLIDES))
        seconds = time.monotonic() - start
        made = {c.name: c.status for c in engine.containers.list(all=True, filters=ours)}
    finally:
        page.close()
        for c in engine.containers.list(all=True, filters=ours):
            c.remove(force=True)
    record("browser", "05-info as slides: setup and a live cell", seconds)
    assert made.get(f"{SLIDES_PREFIX}-info-web") == "running", f"the live cell's containers: {made}"
    assert len(made) == 4, made
    assert f"$ docker run -d --name {SLIDES_PREFIX}-info-web" in said, said[:300]
    # The presenter's large output is for JupyterLab: on a slide the heading stays on the screen.
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= 900, f"the heading is off the slide: {box}"
    assert SCREENSHOT_SLIDES.stat().st_size > 10_000
