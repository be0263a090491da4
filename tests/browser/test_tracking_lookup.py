"""The tracking lookup /s/<slug>/track/ in a real Chromium, on a phone (390×844) and a laptop
(1280×800): a shopper who lost the e-mail finds the parcel with the right order number and
postcode, gets one plain answer for wrong ones, is told how long to wait once over the limit,
and sees status and timeline only for a bare tracking number. Each page passes axe-core
(WCAG 2.1 A/AA), fits the screen without sideways scrolling, loads nothing from another host,
and leaves a screenshot in test-artifacts/."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from tracking.tests.page_support import make_parcel

from .conftest import SHOPPER_VIEWPORTS as VIEWPORTS
from .conftest import screenshot
from .test_shopper_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_page(shopper_page):
    return shopper_page

URL = "/s/alpha/track/"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()  # rate-limit windows and cached pages (Redis) outlive a test's database


def open_lookup(new_page, live_server, viewport: dict, path: str = URL):
    page = new_page(viewport)
    page.hosts = set()
    page.on("request", lambda request: page.hosts.add(urlsplit(request.url).netloc))
    response = page.goto(path)
    assert response.status == 200
    return page


def submit(page, number: str, contact: str = "") -> None:
    page.fill("input[name=number]", number)
    page.fill("input[name=contact]", contact)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def check(page, live_server, name: str) -> None:
    """Accessible, no sideways scroll, nothing from another host; then the screenshot."""
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.hosts <= {urlsplit(live_server.url).netloc}
    screenshot(page, name)


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
def test_the_right_number_and_postcode_open_the_parcels_page(new_page, live_server,
                                                             personas, viewport, size):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "out_for_delivery"))
    page = open_lookup(new_page, live_server, viewport)
    assert page.get_by_role("heading", name="Track your order").is_visible()
    check(page, live_server, f"lookup-form-{size}")
    submit(page, parcel.order.number.lstrip("#"), " 101 15")
    assert urlsplit(page.url).path == parcel.url
    assert page.locator("h1").inner_text() == "Your parcel is out for delivery"


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
def test_a_two_parcel_order_lists_its_parcels(new_page, live_server, personas,
                                              viewport, size):
    first = make_parcel(personas.tenant_a, statuses=("delivered",))
    second = make_parcel(personas.tenant_a, statuses=("in_transit",), order=first.order,
                         customer=first.customer)
    page = open_lookup(new_page, live_server, viewport)
    submit(page, first.order.number, "sam.rivera@example.test")
    links = page.locator("ul.parcels a")
    assert links.count() == 2
    check(page, live_server, f"lookup-two-parcels-{size}")
    links.nth(1).click()
    assert urlsplit(page.url).path == second.url


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
def test_wrong_inputs_get_one_plain_answer(new_page, live_server, personas,
                                           viewport, size):
    parcel = make_parcel(personas.tenant_a)
    page = open_lookup(new_page, live_server, viewport)
    answers = []
    for number, contact in ((parcel.order.number, "someone@example.test"),
                            ("#424242", "sam.rivera@example.test"), (parcel.order.number, "99999")):
        submit(page, number, contact)
        answers.append(page.get_by_role("alert").inner_text())
    assert len(set(answers)) == 1 and answers[0].startswith("We could not find an order")
    # What the shopper typed stays in the form, to correct it.
    assert page.input_value("input[name=number]") == parcel.order.number
    check(page, live_server, f"lookup-wrong-{size}")


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
def test_over_the_limit_the_shopper_is_told_how_long_to_wait(new_page, live_server, personas,
                                                             settings, viewport, size):
    settings.TRACKING_LOOKUP_LIMIT_PER_NUMBER = 2
    parcel = make_parcel(personas.tenant_a)
    page = open_lookup(new_page, live_server, viewport)
    submit(page, parcel.order.number, "11111")
    submit(page, parcel.order.number, "22222")
    submit(page, parcel.order.number, "10115")  # right, but over the limit
    alert = page.get_by_role("alert").inner_text()
    assert re.fullmatch(r"Too many attempts\. Please try again in \d+ minutes?\.", alert)
    assert urlsplit(page.url).path == URL
    check(page, live_server, f"lookup-rate-limited-{size}")


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
def test_a_tracking_number_alone_shows_status_and_timeline_only(new_page, live_server,
                                                                personas, viewport, size):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "exception"),
                         cause="weather")
    page = open_lookup(new_page, live_server, viewport)
    submit(page, parcel.shipment.tracking_number)
    assert page.locator("h1").inner_text() == "There is a problem with your parcel"
    assert page.get_by_role("heading", name="Tracking history").is_visible()
    text = page.locator("body").inner_text()
    for private in ("Sam", "Berlin", "10115", "Hauptstraße", parcel.order.number, "Trail 2 Tent"):
        assert private not in text, private
    check(page, live_server, f"lookup-tracking-number-{size}")


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
def test_the_lookup_speaks_the_shoppers_language(new_page, live_server, personas,
                                                 viewport, size):
    make_parcel(personas.tenant_a)
    page = open_lookup(new_page, live_server, viewport, f"{URL}?lang=de")
    assert page.get_by_role("heading", name="Bestellung verfolgen").is_visible()
    submit(page, "#424242", "niemand@example.test")
    assert page.get_by_role("alert").inner_text().startswith("Wir haben keine Bestellung")
    check(page, live_server, f"lookup-de-{size}")
