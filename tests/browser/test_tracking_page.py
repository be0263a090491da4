"""The shopper tracking page in a real Chromium, on a phone (390×844) and a laptop (1280×800):
a delivered, an in-transit, a delayed and an exception parcel, a two-parcel order, and the
page in each language. Each passes axe-core (WCAG 2.1 A/AA), fits a 360 px screen without
sideways scrolling, makes no request to another host, and leaves a screenshot in
test-artifacts/ for people to look at."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest

from tenants.context import tenant_scope
from tenants.services import brand_update
from tracking.models import Shipment, TrackingPageSettings
from tracking.tests.page_support import make_order, make_parcel

from .conftest import PHONE, screenshot
from .conftest import SHOPPER_VIEWPORTS as VIEWPORTS
from .test_shopper_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("cache_cleared")]

@pytest.fixture
def new_page(shopper_page):
    return shopper_page


def visit(new_page, live_server, path: str, viewport: dict):
    """Open `path`, recording every request the page makes."""
    page = new_page(viewport)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    response = page.goto(path)
    assert response.status == 200
    page.wait_for_selector("h1")
    assert hosts == {urlsplit(live_server.url).netloc}, hosts
    return page


def check(page, name: str) -> None:
    assert axe_violations(page) == []
    screenshot(page, f"tracking-{name}")


def _delayed(tenant):
    parcel = make_parcel(tenant, statuses=("pending", "in_transit"), estimated=date(2026, 12, 3))
    with tenant_scope(tenant):
        Shipment.objects.filter(pk=parcel.shipment.pk).update(delayed=True)
        TrackingPageSettings.objects.create(apology_text="We're sorry it's late: 10% off "
                                            "your next order.", apology_code="SORRY10")
    return parcel


PARCELS = {
    "delivered": lambda t: make_parcel(t, statuses=("pending", "in_transit", "out_for_delivery",
                                                    "delivered")),
    "in-transit": lambda t: make_parcel(t, statuses=("pending", "in_transit"),
                                        estimated=date(2026, 12, 10)),
    "delayed": _delayed,
    "exception": lambda t: make_parcel(t, statuses=("pending", "in_transit", "exception"),
                                       cause="recipient", message="Address incomplete: "
                                       "house number missing"),
}


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
@pytest.mark.parametrize("kind", list(PARCELS))
def test_each_kind_of_parcel_reads_well_and_passes_axe(new_page, live_server, personas,
                                                       viewport, size, kind):
    parcel = PARCELS[kind](personas.tenant_a)
    page = visit(new_page, live_server, parcel.url, viewport)
    check(page, f"{kind}-{size}")
    assert page.locator("[aria-current=step]").count() == (0 if kind == "delivered" else 1)


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
def test_a_two_parcel_order_shows_both_on_one_screen(new_page, live_server, personas,
                                                     viewport, size):
    order, customer, products = make_order(personas.tenant_a)
    first = make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"), order=order,
                        customer=customer, products=products)
    make_parcel(personas.tenant_a, statuses=("in_transit",), order=order, customer=customer,
                products=products)
    page = visit(new_page, live_server, first.url, viewport)
    check(page, f"two-parcels-{size}")
    parcels = page.locator(".parcels li")
    assert parcels.count() == 2
    page.locator(".parcels a").click()  # the other parcel, in the same language
    page.wait_for_selector("h1:has-text('Your parcel is on its way')")


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "nl"])
def test_each_language_passes_axe_on_a_phone(new_page, live_server, personas, lang):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "exception"),
                         cause="customs", message="Held by customs")
    page = visit(new_page, live_server, f"{parcel.url}?lang={lang}", PHONE)
    assert page.locator("html").get_attribute("lang") == lang
    check(page, f"language-{lang}-phone")


def test_a_narrow_phone_never_scrolls_sideways(new_page, live_server, personas):
    with tenant_scope(personas.tenant_a):
        brand_update(personas.tenant_a, sender_name="Alpha Outfitters Wanderausrüstungsfachgeschäft")
    order, customer, products = make_order(personas.tenant_a, products=[
        {"title": "Ultraleicht-Trekkingzelt-Zubehörverpackungseinheit Extra", "category": "Tents"}])
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "exception"), order=order,
                         customer=customer, products=products, cause="carrier",
                         message="Sendungsverfolgungsnummernzuordnungsproblem im Paketzentrum")
    page = visit(new_page, live_server, f"{parcel.url}?lang=de", {"width": 360, "height": 740})
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 361)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
    screenshot(page, "tracking-narrow-360")


@pytest.mark.parametrize("colour", ["#F5D90A", "#7FDBFF"])
def test_a_light_brand_colour_stays_readable(new_page, live_server, personas, colour):
    """A colour that fails 4.5:1 on white is darkened for text and marks, and the header's
    words switch to dark: axe's contrast rule still passes."""
    with tenant_scope(personas.tenant_a):
        brand_update(personas.tenant_a, primary_color=colour)
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"))
    with tenant_scope(personas.tenant_a):
        TrackingPageSettings.objects.create(returns_enabled=True)
    page = visit(new_page, live_server, parcel.url, PHONE)
    check(page, f"light-brand-{colour[1:]}")


def test_the_page_works_without_javascript(shopper_page, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    page = shopper_page(PHONE, javascript=False)
    assert page.goto(parcel.url).status == 200
    assert page.locator("h1").inner_text() == "Your parcel is on its way"
    page.locator("a[hreflang=de]").click()
    assert page.locator("h1").inner_text() == "Dein Paket ist unterwegs"


def test_the_pages_policy_refuses_an_injected_script(browser, live_server, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto(parcel.url)
        refused = []
        page.on("console", lambda message: refused.append(message.text))
        page.evaluate("""() => { const s = document.createElement('script');
            s.textContent = 'window.injected = true'; document.body.appendChild(s); }""")
        assert page.evaluate("window.injected === undefined")
    finally:
        context.close()
