"""Settings → Tracking page in a real Chromium: the real page of one of the store's parcels
shows in two iframes (phone and laptop width) and follows the form before it is saved; saving
keeps it. Settings → Brand's preview shows the shopper help block as it is typed."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tenants.context import tenant_scope
from tenants.tests.factories import DEFAULT_PASSWORD
from tracking.selectors import tracking_page_settings_get
from tracking.tests.page_support import make_parcel

from .conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDE = {"width": 1600, "height": 1000}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def test_the_preview_follows_the_form_at_two_widths(new_page, personas):
    make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"))
    page = new_page(WIDE)
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto("/settings/tracking-page/")
    phone = page.frame_locator("iframe[title='The tracking page on a phone']")
    laptop = page.frame_locator("iframe[title='The tracking page on a laptop']")
    for frame in (phone, laptop):
        assert "Your parcel was delivered" in frame.locator("h1").inner_text()
        assert frame.locator("text=Start a return").count() == 0
    assert page.evaluate("document.querySelector(\"iframe[title$='phone']\")"
                         ".contentDocument.documentElement.clientWidth") == 390

    page.check("#id_returns_enabled")  # not saved yet: the previews follow the form
    for frame in (phone, laptop):
        frame.locator("text=Start a return").wait_for()
    page.uncheck("#id_show_items")
    phone.locator("h1").wait_for()
    page.wait_for_function("""() => {
        const doc = document.querySelector("iframe[title$='phone']").contentDocument;
        return doc && doc.readyState === 'complete' && doc.body
            && doc.body.innerText.includes('Start a return')
            && !doc.body.innerText.includes('In your order');
    }""")
    with tenant_scope(personas.tenant_a):
        assert tracking_page_settings_get(personas.tenant_a).pk is None
    screenshot(page, "settings-tracking-page-preview")

    page.click("text=Save tracking page")
    page.wait_for_selector("text=Tracking page saved.")
    with tenant_scope(personas.tenant_a):
        saved = tracking_page_settings_get(personas.tenant_a)
    assert (saved.returns_enabled, saved.show_items) == (True, False)


def test_the_brand_preview_shows_the_help_block_as_it_is_typed(new_page, personas):
    page = new_page()
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto("/settings/brand/")
    help_block = page.locator("[data-preview-help]")
    assert help_block.is_hidden()
    page.fill("#id_support_email", "help@alpha.test")
    assert help_block.is_visible() and "help@alpha.test" in help_block.inner_text()
    assert page.locator("[data-preview-help-url]").is_hidden()
    page.fill("#id_help_url", "https://alpha.example/help")
    assert page.locator("[data-preview-help-url]").is_visible()
