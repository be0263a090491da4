"""Browser tests: Debian's Chromium driven by Playwright's sync API against `live_server`.

One browser for the whole session (starting Chromium is the slow part); each test gets a
fresh context, so cookies and sessions never leak between tests. Screenshots of the pages
the tests pass through land in test-artifacts/ (gitignored) for people to look at.

Every page the tests open (dashboard and shopper alike, frames included) is watched for
Content-Security-Policy violations: Chromium reports each on the console, JavaScript on or
off, and a test that saw one fails (config/csp.py says what the policies allow).
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


class CspWatch:
    """The Content-Security-Policy violations Chromium reported in the watched contexts."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.contexts: list = []

    def watch(self, context) -> None:
        context.on("console", self._console)
        self.contexts.append(context)

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(f"{message.location.get('url')}: {message.text}")

    def settled(self) -> list[str]:
        """The violations so far: one round trip per open page first, so that the console
        messages Chromium sent before it have all been delivered."""
        for context in self.contexts:
            for page in context.pages:
                if not page.is_closed():
                    page.title()
        return self.violations


@pytest.fixture
def csp_watch():
    return CspWatch()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A browser test that passed fails if Chromium refused anything under a page's policy."""
    result = yield
    watch = item.funcargs.get("csp_watch")
    if watch is not None and (violations := watch.settled()):
        raise AssertionError("Content-Security-Policy violations in Chromium:\n"
                             + "\n".join(violations))
    return result


@pytest.fixture
def new_page(browser, live_server, csp_watch):
    """Open pages in fresh browser contexts (a context is a separate cookie jar)."""
    contexts = []

    def make(viewport: dict | None = None):
        context = browser.new_context(base_url=live_server.url, viewport=viewport or DESKTOP)
        context.set_default_timeout(10_000)
        csp_watch.watch(context)
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
def shopper_page(browser, live_server, csp_watch):
    """A shopper's page in a fresh context, under the page's own Content-Security-Policy (axe
    gets in through the browser's debugging protocol, which the policy does not govern:
    test_shopper_accessibility.axe_violations); JavaScript can be off."""
    contexts = []

    def make(viewport: dict, *, javascript: bool = True):
        context = browser.new_context(base_url=live_server.url, viewport=viewport,
                                      java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        csp_watch.watch(context)
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
