"""Debian's chromium, driven by Playwright, for the tests that look at pages (tests/browser, tests/site)."""
import contextlib

from dockyard.course.browser import CHROMIUM_ARGS, find_chromium


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright
    path = find_chromium()
    assert path, "chromium is installed (`dockyard browser` installs it)"
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
