"""The learner's JupyterLab, driven in a real browser: open 00-start-here, run all, see ✓.

JupyterLab starts the way `make lab` starts it (dockyard.jupyterlab.lab_command), on 127.0.0.1
with a token, serving a copy of the notebooks so that autosave never writes into the repo.
Playwright drives Debian's chromium; it downloads no browser.
"""
import re
import secrets
import shutil
import subprocess
import time
import urllib.request

import nbformat
import pytest

from dockyard.browser import CHROMIUM_ARGS, find_chromium
from dockyard.jupyterlab import START_NOTEBOOK, lab_command, write_quiet_settings
from dockyard.paths import BUILD, REPO
from dockyard.ports import free_port
from dockyard.timings import record

pytestmark = pytest.mark.notebook  # live: a skip counts as a failure

OUT = BUILD / "browser"
SCREENSHOT = OUT / "00-start-here.png"          # the top: preflight widget and first checks
SCREENSHOT_END = OUT / "00-start-here-end.png"  # the last cells
RUN_ALL_TIMEOUT_MS = 180_000


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


@pytest.fixture
def jupyterlab():
    """A JupyterLab server of our own on a free loopback port; stopped and its copy removed after."""
    root = OUT / "root"
    shutil.rmtree(root, ignore_errors=True)
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(REPO / START_NOTEBOOK, root / START_NOTEBOOK)
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


def test_start_here_runs_in_a_real_browser(jupyterlab):
    from playwright.sync_api import sync_playwright
    chromium = find_chromium()
    assert chromium, "chromium is installed (`dockyard browser` installs it)"
    base, token = jupyterlab
    start = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/{START_NOTEBOOK}?token={token}")
            notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            notebook.locator(".jp-Cell").first.wait_for(timeout=60_000)
            # The kernel of the notebook's metadata ("Python (dockyard)") starts on its own.
            page.get_by_text(re.compile(r"Python \(dockyard\) \| Idle")).wait_for(timeout=60_000)

            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

            # Done when every code cell shows an execution number: none is pending ([*]) or unrun ([ ]).
            page.wait_for_function(
                """() => {
                    const p = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
                    return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent));
                }""", timeout=RUN_ALL_TIMEOUT_MS)
            seconds = time.monotonic() - start

            outputs = notebook.locator(".jp-OutputArea-output")
            texts = outputs.all_inner_texts()
            ticks = sum(t.count("✓") for t in texts)
            crosses = [t for t in texts if "✗" in t or "Traceback" in t]
            widget = notebook.locator(".jupyter-widgets.widget-vbox")
            widget_text = widget.first.inner_text() if widget.count() else ""
            page.screenshot(path=str(SCREENSHOT_END))
            notebook.locator(".jp-Cell").first.scroll_into_view_if_needed()
            notebook.locator(".jp-Cell").first.click()
            page.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()
    record("browser", "00-start-here, run all", seconds, passed=not crosses)
    assert not crosses, f"outputs with ✗ or a traceback: {crosses[:3]}"
    assert ticks >= check_cell_count(), f"{ticks} ✓ marks for {check_cell_count()} check cells"
    assert "Preflight" in widget_text and "✓ engine" in widget_text, \
        f"the preflight's progress widget rendered its steps (found {widget_text[:80]!r})"
    assert SCREENSHOT.stat().st_size > 10_000, f"{SCREENSHOT} is a real screenshot"
