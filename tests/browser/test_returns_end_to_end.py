"""A return from end to end (issue 17, "How we will know it works"), in a real Chromium at
390×844 against the live server, through the public doors only:

    the tracking page's "Start a return" ─▶ two items, a reason with a photo, store credit,
    a prepaid label ─▶ the label bought from the fake EasyPost server through the official
    SDK ─▶ the return parcel's signed EasyPost webhooks move it to received ─▶ the returns
    team records the credit in the dashboard ─▶ the fake SendGrid server received exactly the
    expected e-mails, once each.

Celery runs eagerly (test settings): each task runs when its transaction commits, as a worker
would pick it up. Each shopper step passes axe-core and loads nothing from another host.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from PIL import Image

from returns.models import ReturnRequest, ReturnStatus
from returns.tests.factories import make_order, make_policy
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.tests.factories import DEFAULT_PASSWORD
from tracking.carriers.signatures import easypost_signature
from tracking.models import Shipment
from tracking.services.page_settings import tracking_page_settings_update
from tracking.tests.test_webhook_pipeline import tracker_body

from .conftest import PHONE, log_in, screenshot
from .test_shopper_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEBHOOK_SECRET = "whsec-alpha-returns"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()  # rate-limit windows and cached pages (Redis) outlive a test's database


@pytest.fixture
def store(personas, fake_easypost, fake_sendgrid, dispatch_clock, no_rate_limits):
    tenant = personas.tenant_a
    dispatch_clock.now = timezone.now() + timedelta(minutes=5)  # what is planned is due
    with tenant_scope(tenant):
        tracking_page_settings_update(tenant, returns_enabled=True)
    with tenant_scope(tenant):
        tenant_services.credential_set(tenant, "easypost", {"api_key": fake_easypost.api_key,
                                                            "webhook_secret": WEBHOOK_SECRET})
    make_policy(tenant, store_credit_bonus_percent=Decimal("10"), label_carriers=["USPS"],
                return_address={"name": "Alpha Returns", "address1": "Dock 4",
                                "city": "Berlin", "postcode": "10557", "country_code": "DE"})
    order = make_order(tenant, delivered_at=timezone.now() - timedelta(days=2),
                       shipping_address={"name": "Sam Shopper", "address1": "5 Elm Street",
                                         "city": "Berlin", "postcode": "10115",
                                         "country_code": "DE"})
    return tenant, order


def a_photo_of_damage() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "brown").save(out, "JPEG")
    return {"name": "damage.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def check(page, live_server, name: str) -> None:
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.hosts <= {urlsplit(live_server.url).netloc}
    screenshot(page, name)


def carrier_scan(number: str, details: list[tuple[str, str]], event_id: str) -> None:
    """The return parcel's EasyPost tracker webhook, signed with the store's secret."""
    body = tracker_body(number, details, event_id=event_id)
    response = Client().generic("POST", "/webhooks/easypost/alpha/", body,
                                content_type="application/json",
                                HTTP_X_HMAC_SIGNATURE=easypost_signature(body, WEBHOOK_SECRET))
    assert response.status_code == 202


def subjects(fake_sendgrid) -> list[str]:
    return [mail["subject"] for mail in fake_sendgrid.mails]


def test_a_return_from_the_tracking_page_to_the_store_credit(
        shopper_page, new_page, live_server, store, fake_easypost, fake_sendgrid):
    tenant, order = store
    with tenant_scope(tenant):
        token = Shipment.objects.get(order=order).public_token
    page = shopper_page(PHONE)
    page.hosts = set()
    page.on("request", lambda request: page.hosts.add(urlsplit(request.url).netloc))
    assert page.goto(f"/t/{token}/").status == 200
    page.get_by_role("link", name="Start a return").click()

    # Two items: the jacket arrived damaged (a photo), the socks are too small.
    jacket = page.get_by_role("group", name="Ridge Jacket")
    jacket.get_by_label("Quantity").select_option("1")
    jacket.get_by_label("Reason").select_option("damaged")
    socks = page.get_by_role("group", name="Trail Socks")
    socks.get_by_label("Quantity").select_option("1")
    socks.get_by_label("Reason").select_option("too_small")
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Confirm your return"
    check(page, live_server, "returns-e2e-confirm-phone")

    page.get_by_label("Photo of the item").set_input_files(a_photo_of_damage())
    page.get_by_role("radio", name="155.65 EUR store credit").check()
    assert page.get_by_role("radio", name="Prepaid return label").is_checked()
    page.get_by_role("button", name="Confirm return").click()

    # The label was bought on commit from the fake EasyPost, through the SDK.
    assert page.locator(".state").inner_text() == "Label ready"
    label = page.get_by_role("link", name="Print your label")
    assert label.get_attribute("href") == fake_easypost.bought[0]["postage_label"]["label_pdf_url"]
    number = fake_easypost.bought[0]["tracking_code"]
    assert f"Tracking number: {number}" in page.inner_text("main")
    check(page, live_server, "returns-e2e-label-phone")
    status_path = urlsplit(page.url).path
    with tenant_scope(tenant):
        request = ReturnRequest.objects.get()
        assert (request.resolution, request.method, request.lines.count()) == (
            "store_credit", "label", 2)
    assert fake_easypost.bought[0]["is_return"] is True

    # The return parcel's carrier scans: on its way, then delivered to the retailer.
    now = timezone.now()
    carrier_scan(number, [("in_transit", (now - timedelta(minutes=30)).isoformat())], "evt_e2e_1")
    page.goto(status_path)
    assert page.locator(".state").inner_text() == "On its way back"
    carrier_scan(number, [("in_transit", (now - timedelta(minutes=30)).isoformat()),
                          ("delivered", (now - timedelta(minutes=10)).isoformat())], "evt_e2e_2")
    page.goto(status_path)
    assert page.locator(".state").inner_text() == "Received"
    check(page, live_server, "returns-e2e-received-phone")

    # The returns team records the credit.
    team = new_page()
    log_in(team, "bob@alpha.test", DEFAULT_PASSWORD)
    team.goto(f"/returns/{request.pk}/")
    assert "USPS " + number in team.inner_text("main")
    team.fill("#settle-reference", "GIFT-4711")
    team.get_by_role("button", name="Record the credit").click()
    team.wait_for_load_state()
    with tenant_scope(tenant):
        request.refresh_from_db()
    assert request.status == ReturnStatus.CREDITED
    assert (request.settled_amount, request.settled_reference) == (Decimal("155.65"), "GIFT-4711")
    page.goto(status_path)
    assert page.locator(".state").inner_text() == "Store credit issued"

    # Exactly the expected e-mails, once each, to the shopper; none about the return parcel.
    n = request.number
    assert sorted(subjects(fake_sendgrid)) == sorted([
        f"We’ve got your return {n}", f"Your return {n} is approved",
        f"Your return label for {n}", f"We’ve received your return {n}",
        f"Your return {n} is settled"])
    shopper = order.customer.email
    assert {p["to"][0]["email"] for m in fake_sendgrid.mails for p in m["personalizations"]} == {shopper}


def test_a_refund_not_recorded_in_time_is_one_email(store, fake_sendgrid):
    """Received ten days ago, nothing recorded since (the policy allows 5 business days): the
    periodic check tells the shopper once, however often it runs."""
    from returns import services
    from returns.tasks import returns_sweep
    from returns.tests.factories import make_request

    tenant, order = store
    long_ago = timezone.now() - timedelta(days=10)
    request = make_request(tenant, order, now=long_ago)
    with tenant_scope(tenant):
        services.return_receive(tenant, request.pk, now=long_ago + timedelta(hours=1))
    for _ in range(3):  # beat runs the sweep every 15 minutes
        returns_sweep.delay()
    late = [s for s in subjects(fake_sendgrid) if s.startswith("Your refund for")]
    assert late == [f"Your refund for {request.number} is taking longer"]
    with tenant_scope(tenant):
        assert ReturnRequest.objects.get(pk=request.pk).status == ReturnStatus.RECEIVED
