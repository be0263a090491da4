"""The dev outbox in Chromium on a phone (390 px) and a desktop (1280 px): the list of what
shoppers got, newest first; an e-mail opened shows rendered, its links on PUBLIC_BASE_URL
(our click tracking, which redirects to the shop); an SMS shows its text."""

from __future__ import annotations

import re

import pytest

from messaging.tests.outbox_support import kept_message
from tenants.context import tenant_scope
from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import ARTIFACTS, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture
def kept(personas, settings, live_server, tmp_path):
    """An e-mail and, later, an SMS kept by Alpha's dev outbox; links on the live server."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SENDGRID_API_KEY = settings.EMAIL_HOST = ""
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    settings.MESSAGING_OUTBOX_DIR = str(tmp_path)
    settings.MESSAGING_RATE_LIMITS = {"tenant": 10_000, "sms_sender": 10_000,
                                      "sms_service": 10_000}
    email = kept_message(personas.tenant_a, "shipped", "email")
    sms = kept_message(personas.tenant_a, "out_for_delivery", "sms")
    assert (email.provider, sms.provider) == ("outbox", "outbox")
    return email, sms


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_the_outbox_shows_what_shoppers_got(new_page, personas, kept, live_server, viewport,
                                            name):
    email, sms = kept
    page = new_page(viewport)
    log_in(page, personas.alice.email, DEFAULT_PASSWORD)
    page.goto("/messages/")
    page.click("#outbox-tab")
    page.wait_for_url("**/outbox/")
    items = page.locator("#outbox-list li")
    # Out for delivery came by e-mail and SMS after the "shipped" e-mail: newest first.
    assert items.count() == 3
    assert email.subject in items.nth(2).inner_text()
    assert sms.text_body[:40] in items.filter(has_text=sms.recipient).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"outbox-list-{name}")

    items.nth(2).locator("a").click()
    page.wait_for_url(f"**/messages/{email.pk}/")
    frame = page.frame_locator("#message-frame")
    links = frame.locator(f"a[href^='{live_server.url}/m/c/']")
    assert links.count() > 0
    with tenant_scope(email.tenant):
        first_name = email.order.customer.first_name
    assert first_name in frame.locator("body").inner_text()
    # The link works: our click redirect sends the shopper on to the shop.
    response = page.request.get(links.first.get_attribute("href"), max_redirects=0)
    assert response.status == 302 and re.match(r"https?://", response.headers["location"])
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"outbox-email-{name}")
    page.locator("#message-frame").screenshot(path=str(ARTIFACTS / f"outbox-email-frame-{name}.png"))

    page.goto("/outbox/")
    page.locator("#outbox-list li").filter(has_text=sms.recipient).locator("a").click()
    page.wait_for_url(f"**/messages/{sms.pk}/")
    assert page.locator("#message-sms").inner_text().strip() == sms.text_body.strip()
    screenshot(page, f"outbox-sms-{name}")
