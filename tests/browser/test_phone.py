"""The dashboard on a phone: the navigation folds away and opens on demand."""

import pytest

from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}


def test_the_navigation_collapses_and_opens_on_a_phone(new_page, personas):
    page = new_page(PHONE)
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.wait_for_selector("h1:has-text('Alpha Outfitters')")
    nav = page.locator("#sidenav")
    assert not nav.is_visible() or nav.bounding_box()["x"] + nav.bounding_box()["width"] <= 0
    screenshot(page, "phone-overview")
    # Nothing may be wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 375)"
        ".map(e => e.tagName + '.' + e.className).slice(0, 8)")

    page.click(".nav-toggle")
    # A function, not an expression: Playwright eval()s an expression, which the policy refuses.
    page.wait_for_function(
        "() => document.getElementById('sidenav').getBoundingClientRect().left >= 0")
    assert page.get_attribute(".nav-toggle", "aria-expanded") == "true"
    screenshot(page, "phone-nav-open")
    page.click("#sidenav >> text=Settings")
    page.wait_for_url("**/settings/")
    assert page.locator("h1").inner_text() == "Settings"

    page.goto("/settings/brand/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-brand")
