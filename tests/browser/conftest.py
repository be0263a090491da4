"""Browser tests: Debian's Chromium driven by Playwright's sync API against `live_server`.

One browser for the whole session (starting Chromium is the slow part); each test gets a
fresh context, so cookies and sessions never leak between tests. Screenshots of the pages
the tests pass through land in test-artifacts/ (gitignored) for people to look at.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from conftest import CHROMIUM

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in a
# thread with a running loop unless told that this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"width": 1280, "height": 860}
# The shopper pages' two sizes (issue 14: a phone, a laptop).
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
SHOPPER_VIEWPORTS = [(PHONE, "phone"), (LAPTOP, "laptop")]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh browser contexts (a context is a separate cookie jar)."""
    contexts = []

    def make(viewport: dict | None = None):
        context = browser.new_context(base_url=live_server.url, viewport=viewport or DESKTOP)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(autouse=True)
def _media_and_mail(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core import mail

    mail.outbox = []


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar lands mid-picture
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def link_in_last_mail(pattern: str) -> str:
    """The first URL matching `pattern` in the newest e-mail, as a path on the live server."""
    from django.core import mail

    deadline = time.monotonic() + 5
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mail.outbox, "no e-mail was sent"
    match = re.search(r"https?://[^/\s]+(" + pattern + r"[^\s]*)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.fixture
def shopper_page(browser, live_server):
    """A shopper's page in a fresh context that lets axe-core in (the shopper pages' own
    Content-Security-Policy refuses any script, the injected one too); JavaScript can be off."""
    contexts = []

    def make(viewport: dict, *, javascript: bool = True):
        context = browser.new_context(base_url=live_server.url, viewport=viewport,
                                      bypass_csp=True, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def cache_cleared():
    """Shopper pages are cached (Redis): each test starts from none."""
    from django.core.cache import cache

    cache.clear()
