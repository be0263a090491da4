"""The returns portal in a real Chromium at phone size (390×844): a shopper starts a return
from the tracking page's button, picks the jacket with a reason and a photo, sees the amounts,
chooses store credit and lands on the status page. Each step passes axe-core (WCAG 2.1 A/AA),
fits the screen without sideways scrolling, loads nothing from another host, and leaves a
screenshot in test-artifacts/. The lookup door is checked at both sizes."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone
from PIL import Image

from returns.models import ReturnRequest
from returns.tests.factories import make_order, make_policy
from tenants.context import tenant_scope
from tracking.models import Shipment
from tracking.services.page_settings import tracking_page_settings_update

from .conftest import PHONE, SHOPPER_VIEWPORTS, screenshot
from .test_shopper_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()  # rate-limit windows and cached pages (Redis) outlive a test's database


@pytest.fixture
def store(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        tracking_page_settings_update(tenant, returns_enabled=True)
    make_policy(tenant, store_credit_bonus_percent=Decimal("10"),
                return_address={"name": "Alpha Returns", "address1": "Dock 4", "city": "Berlin"})
    return tenant, make_order(tenant, delivered_at=timezone.now() - timedelta(days=2))


def open_page(shopper_page, viewport: dict, path: str):
    page = shopper_page(viewport)
    page.hosts = set()
    page.on("request", lambda request: page.hosts.add(urlsplit(request.url).netloc))
    assert page.goto(path).status == 200
    return page


def check(page, live_server, name: str) -> None:
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.hosts <= {urlsplit(live_server.url).netloc}
    screenshot(page, name)


def a_photo_of_damage() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "brown").save(out, "JPEG")
    return {"name": "damage.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def test_a_shopper_returns_a_damaged_jacket_for_store_credit_on_a_phone(shopper_page, live_server,
                                                                        store):
    tenant, order = store
    with tenant_scope(tenant):
        token = Shipment.objects.get(order=order).public_token
    page = open_page(shopper_page, PHONE, f"/t/{token}/")
    page.get_by_role("link", name="Start a return").click()
    assert "Return items from order" in page.locator("h1").inner_text()
    check(page, live_server, "returns-items-phone")

    jacket = page.get_by_role("group", name="Ridge Jacket")
    jacket.get_by_label("Quantity").select_option("1")
    jacket.get_by_label("Reason").select_option("damaged")
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Confirm your return"
    check(page, live_server, "returns-confirm-phone")

    page.get_by_label("Photo of the item").set_input_files(a_photo_of_damage())
    page.get_by_role("radio", name="141.90 EUR store credit").check()
    page.get_by_role("button", name="Confirm return").click()
    assert page.locator(".state").inner_text() == "Approved"
    assert "Dock 4" in page.inner_text("main")
    assert page.locator(".photos img").count() == 1
    check(page, live_server, "returns-status-phone")
    with tenant_scope(tenant):
        assert ReturnRequest.objects.get().resolution == "store_credit"


@pytest.mark.parametrize(("viewport", "size"), SHOPPER_VIEWPORTS)
def test_the_lookup_door_finds_the_order_and_says_no_plainly(shopper_page, live_server, store,
                                                             viewport, size):
    _, order = store
    page = open_page(shopper_page, viewport, "/s/alpha/returns/")
    check(page, live_server, f"returns-start-{size}")
    page.fill("input[name=number]", order.number)
    page.fill("input[name=contact]", "nobody@example.test")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("We could not find an order")
    check(page, live_server, f"returns-start-wrong-{size}")
    page.fill("input[name=contact]", "10115")
    page.click("button[type=submit]")
    assert "Return items from order" in page.locator("h1").inner_text()
