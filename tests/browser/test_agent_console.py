"""The agent console in Chromium: a shopper calls about Zoë Müller's jacket. The agent presses
`/`, types part of her name with a typo, opens the order with Enter, reads the carrier's scans
and the e-mail she opened on one timeline, sends that e-mail again to the address she spells
out (the fake SendGrid server receives it), writes a note and starts a return. A viewer reads
the same page without one action button, and a POST of theirs is refused."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import MessageEvent
from messaging.tests.factories import make_message
from returns.tests.factories import make_order, make_policy
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.permissions import Role
from tenants.tests.factories import DEFAULT_PASSWORD, UserFactory, add_member
from tracking.models import Shipment, TrackingEvent

from .conftest import PHONE, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def zoes_order(personas, fake_sendgrid, dispatch_clock, no_rate_limits):
    tenant = personas.tenant_a
    # The dispatcher's frozen clock ahead of what the test sends: due at once.
    dispatch_clock.now = timezone.now() + timedelta(hours=1)
    with tenant_scope(tenant):
        tenant_services.brand_update(tenant, sender_name="Alpha Outfitters",
                                     sender_email="hello@alpha.test")
    make_policy(tenant, window_days=30)
    with tenant_scope(tenant):
        from orders.models import Customer

        zoe = Customer.objects.create(external_id="c-zoe", email="zoe@exmaple.com",
                                      first_name="Zoë", last_name="Müller", phone="+4915112345678")
    order = make_order(tenant, customer=zoe, delivered_at=timezone.now() - timedelta(days=2))
    with tenant_scope(tenant):
        shipment = Shipment.objects.get(order=order)
        TrackingEvent.objects.create(
            shipment=shipment, source="easypost", carrier="DHL",
            tracking_number=shipment.tracking_number, status="in_transit",
            occurred_at=timezone.now() - timedelta(days=3), dedup_key="zoe-1",
            message="Die Sendung wurde im Start-Paketzentrum bearbeitet")
    sent = make_message(tenant, shipment=shipment, order=order, status="opened",
                        subject="Your jacket is on its way", text_body="Hello Zoë, it left us.",
                        html_body="<p>Hello Zoë, it left us.</p>",
                        sent_at=timezone.now() - timedelta(days=3))
    with tenant_scope(tenant):
        MessageEvent.objects.create(message=sent, kind="open", source="pixel",
                                    occurred_at=timezone.now() - timedelta(days=3, hours=-1))
    return order


def _received(fake_sendgrid, address: str) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(p["to"][0]["email"] == address for mail in fake_sendgrid.mails
               for p in mail["personalizations"]):
            return True
        time.sleep(0.1)
    return False


def test_an_agent_finds_the_order_reads_it_and_acts(page, personas, zoes_order, fake_sendgrid):
    log_in(page, "bob@alpha.test", DEFAULT_PASSWORD)
    page.goto("/shipments/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "console-q"
    page.keyboard.type("zoe mulr")
    page.locator("#console-results [data-result]").first.wait_for()
    assert zoes_order.number in page.inner_text("#console-results")
    screenshot(page, "console-search")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/orders/{zoes_order.pk}/")

    timeline = page.locator("#timeline")
    assert "Die Sendung wurde im Start-Paketzentrum bearbeitet" in timeline.inner_text()
    assert "Opened: E-mail" in timeline.inner_text()
    assert "Your jacket is on its way" in timeline.inner_text()
    screenshot(page, "console-order")

    # Send the e-mail again, to the address the shopper spells out on the phone.
    again = page.locator(".console-send-again").first
    again.locator("summary").click()
    again.locator("input[name=recipient]").fill("zoe@example.com")
    again.locator("button[type=submit]").click()
    assert "Sending again to zoe@example.com" in page.inner_text("#flash")
    assert _received(fake_sendgrid, "zoe@example.com")

    # A note, written from the keyboard.
    page.keyboard.press("n")
    page.keyboard.type("Zoë called: zip broken. Return started.")
    page.click("#note button[type=submit]")
    assert "Zoë called: zip broken." in page.inner_text("#timeline")

    # The tracking page's address, to give her: copied, and the copy on the timeline.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    with page.expect_response(lambda r: r.url.endswith("/mark/")) as answer:
        page.locator("#parcels button[data-copy-target]").first.click()
    assert answer.value.status == 204
    assert "/t/" in page.evaluate("navigator.clipboard.readText()")

    # A return on her behalf.
    page.click("#start-return summary")
    page.locator("#start-return input[type=number]").first.fill("1")
    page.locator("#start-return select").first.select_option("damaged")
    page.click("#start-return button[type=submit]")
    assert "started" in page.inner_text("#flash")
    assert "Return R-" in page.inner_text("#timeline")

    page.click(".console-filters a[data-kind=agent]")
    assert "Sent the E-mail" in page.inner_text("#timeline")
    assert "Tracking link copied for the shopper" in page.inner_text("#timeline")
    assert "Die Sendung" not in page.inner_text("#timeline")


def test_a_viewer_reads_the_order_but_cannot_act(new_page, personas, zoes_order):
    viewer = UserFactory(email="vera@alpha.test", username="vera")
    add_member(personas.tenant_a, viewer, Role.VIEWER)
    page = new_page(PHONE)
    log_in(page, "vera@alpha.test", DEFAULT_PASSWORD)
    page.goto(f"/orders/{zoes_order.pk}/")
    assert "Die Sendung wurde im Start-Paketzentrum bearbeitet" in page.inner_text("#timeline")
    assert page.locator("main form[method=post]").count() == 0
    assert page.locator("main button[type=submit]").count() == 0
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "console-order-viewer-phone")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(f"/orders/{zoes_order.pk}/notes/", form={"text": "sneaky"},
                                 headers={"X-CSRFToken": token,
                                          "Referer": page.url})
    assert response.status == 403


def test_question_mark_lists_the_shortcuts(page, personas):
    log_in(page, "bob@alpha.test", DEFAULT_PASSWORD)
    page.goto("/orders/")
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("g")
    page.keyboard.press("s")
    page.wait_for_url("**/shipments/")
