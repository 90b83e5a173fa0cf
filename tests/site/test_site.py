"""The site for readers (`make site`), built from the executed copies and read in chromium.

It runs after the notebooks and labs ran (it reads build/executed), never while one is being
executed. The site is built into a folder of this test, served on 127.0.0.1 only, and one page of
each kind is opened: a Docker notebook, a Kubernetes notebook, a notebook with widgets, a lab and
the index. Each must show real outputs.
"""
import functools
import http.server
import threading

import pytest

from dockyard.course.manifest import load
from dockyard.course.site import EXECUTED, build, executed_copy
from dockyard.paths import BUILD
from support.chromium import chromium

pytestmark = pytest.mark.notebook  # live: it shows what the live run printed; a skip counts as a failure

SHOTS = BUILD / "browser"
OUTPUT = ".cell_output"                 # myst-nb's box around a cell's outputs


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    needed = [p for p in load().stops() if not executed_copy(p).exists()]
    assert not needed, f"no executed copy of {', '.join(map(str, needed))}: run the notebook and lab tests first"
    out = tmp_path_factory.mktemp("site") / "site"
    built = build(out)
    assert not built["missing"] and (out / "index.html").exists()
    return out, built


@pytest.fixture(scope="module")
def served(site):
    out, _ = site
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):   # no line per request in the test's output
            pass
    handler = functools.partial(Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


def open_page(browser, served, path: str):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(served) else None)
    response = page.goto(f"{served}/{path}")
    assert response and response.ok, f"{path}: {response.status if response else 'no answer'}"
    page.wait_for_load_state("load")
    assert not outside, f"{path} asks for something outside the site: {outside[:3]}"
    return page


def outputs_text(page) -> str:
    return "\n".join(page.locator(OUTPUT).all_inner_texts())


def test_index_lists_every_notebook_and_lab_in_order(browser, served):
    page = open_page(browser, served, "index.html")
    links = page.locator(".toctree-wrapper a.reference").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    want = [str(p.with_suffix(".html")) for p in load().stops()]
    assert links == want, f"the index lists {links}, the course is {want}"
    page.screenshot(path=str(SHOTS / "site-index.png"))


def test_a_docker_notebook_shows_its_outputs_and_picture(browser, served):
    page = open_page(browser, served, "notebooks/01-what-docker-is.html")
    said = outputs_text(page)
    assert "✓" in said, "the page shows the checks' ✓ lines"
    images = page.locator(f"{OUTPUT} img")
    assert images.count() >= 1, "the saved picture (image/png output) is on the page"
    width = images.first.evaluate("img => img.complete ? img.naturalWidth : 0")
    assert width > 0, "the picture loads"
    page.screenshot(path=str(SHOTS / "site-docker.png"), full_page=False)


def test_a_kubernetes_notebook_shows_the_kubectl_lines_and_checks(browser, served):
    page = open_page(browser, served, "notebooks/12-pods.html")
    said = outputs_text(page)
    assert "$ kubectl " in said or "kubectl " in said, "the kubectl line beside each client call is shown"
    assert "✓" in said and "namespace" in said
    page.screenshot(path=str(SHOTS / "site-kubernetes.png"))


def test_a_widget_shows_a_static_picture_of_its_last_state(browser, served):
    page = open_page(browser, served, "notebooks/09-dockerfile.html")
    widgets = page.locator(f"{OUTPUT} .dockyard-widget")
    assert widgets.count() >= 1, "the build widgets are on the page as HTML"
    shown = widgets.first.inner_text()
    assert "docker build -t" in shown and "Successfully" in shown, shown[:300]
    assert "VBox(children" not in outputs_text(page), "not the widget's Python repr"
    widgets.first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "site-widget.png"))


def test_a_lab_shows_its_solutions_and_score(browser, served):
    page = open_page(browser, served, "labs/01-docker-basics.html")
    said = outputs_text(page)
    assert "3 of 3 exercises done" in said, said[-500:]
    assert "# wrong:" not in page.inner_text("body"), "the wrong answers the tests try are not on the site"
    page.screenshot(path=str(SHOTS / "site-lab.png"))


def test_the_site_refuses_without_executed_notebooks(tmp_path):
    from dockyard.errors import DockyardError
    with pytest.raises(DockyardError, match="has no executed notebooks"):
        build(tmp_path / "site", executed=tmp_path / "empty")
    assert EXECUTED.exists()
