"""A shopper rates a delivery in a real Chromium, on a phone (390×844) and a laptop
(1280×800): picks stars (with the mouse, or the keyboard alone), writes a comment, sends it
without any script, sees the thanks, and can change it. The form passes axe-core (WCAG 2.1
A/AA) before and after, fits the phone without sideways scrolling, and an agent then finds the
low rating on the shipment's dashboard page. Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenants.context import tenant_scope
from tenants.tests.factories import DEFAULT_PASSWORD
from tracking.models import DeliveryFeedback
from tracking.tests.page_support import make_parcel

from .conftest import PHONE, log_in, screenshot
from .conftest import SHOPPER_VIEWPORTS as VIEWPORTS
from .test_shopper_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("cache_cleared")]

@pytest.fixture
def shopper(shopper_page):
    """A shopper's browser with JavaScript off unless asked: the rating must work without it."""

    def make(viewport: dict, *, javascript: bool = False):
        return shopper_page(viewport, javascript=javascript)

    return make


def stored(parcel) -> DeliveryFeedback | None:
    with tenant_scope(parcel.tenant):
        return DeliveryFeedback.objects.filter(shipment=parcel.shipment).first()


def star_icon(page, n: int) -> str:
    return page.evaluate(
        "n => getComputedStyle(document.querySelectorAll('.rate .star .icon')[n - 1], "
        "'::before').content", n)


def check_axe(page) -> None:
    page.evaluate("() => 0")  # (a page with JavaScript off still runs the test's own script)
    assert axe_violations(page) == []


@pytest.mark.parametrize(("viewport", "size"), VIEWPORTS)
def test_a_shopper_rates_a_delivery_and_changes_the_rating(shopper, personas, viewport, size):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "out_for_delivery",
                                                       "delivered"))
    page = shopper(viewport, javascript=True)  # axe needs script; the form does not
    page.goto(f"{parcel.url}?src=email#rate")
    form = page.locator("#rate")
    form.scroll_into_view_if_needed()
    assert "How was your delivery?" in form.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    check_axe(page)

    page.locator(".rate .star").nth(3).click()  # the fourth star
    assert page.locator("input[name=rating][value='4']").is_checked()
    assert [star_icon(page, n) for n in (1, 4, 5)] == ['"★"', '"★"', '"☆"']
    page.fill("#rate-comment", "Quick, and the driver rang the bell.")
    screenshot(page, f"rating-form-{size}")
    page.click(".rate button[type=submit]")
    page.wait_for_url(f"**{parcel.url}?lang=en#rate")
    assert "You rated this delivery 4 out of 5" in page.locator("#rate").inner_text()
    feedback = stored(parcel)
    assert (feedback.rating, feedback.comment) == (4, "Quick, and the driver rang the bell.")
    check_axe(page)
    screenshot(page, f"rating-thanks-{size}")

    page.click(".rate summary")  # "Change your rating"
    page.locator(".rate .star").nth(1).click()
    page.click(".rate button[type=submit]")
    page.wait_for_url(f"**{parcel.url}?lang=en#rate")
    assert "You rated this delivery 2 out of 5" in page.locator("#rate").inner_text()
    assert stored(parcel).low is True


def test_the_keyboard_alone_rates_a_delivery_without_javascript(shopper, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("delivered",))
    page = shopper(PHONE)
    page.goto(parcel.url)
    page.focus("input[name=rating][value='1']")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert page.locator("input[name=rating][value='5']").is_checked()
    page.focus("#rate-comment")
    page.keyboard.type("Perfect.")
    page.keyboard.press("Tab")  # to the button
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{parcel.url}?lang=en#rate")
    assert (stored(parcel).rating, stored(parcel).comment) == (5, "Perfect.")


def test_the_rating_page_of_its_own_passes_axe(shopper, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("delivered",))
    for viewport, size in VIEWPORTS:
        page = shopper(viewport, javascript=True)
        page.goto(f"{parcel.url}feedback/?lang=de")
        assert "Wie war die Zustellung?" in page.inner_text("h1")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        check_axe(page)
        screenshot(page, f"rating-page-de-{size}")


def test_an_agent_finds_the_low_rating_on_the_shipments_page(shopper, new_page, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("delivered",))
    page = shopper(PHONE)
    page.goto(parcel.url)
    page.locator(".rate .star").nth(0).click()
    page.fill("#rate-comment", "Thrown over the fence.")
    page.click(".rate button[type=submit]")
    page.wait_for_url(f"**{parcel.url}?lang=en#rate")

    agent = new_page()
    log_in(agent, "bob@alpha.test", DEFAULT_PASSWORD)
    agent.goto(reverse("tracking:shipments") + "?rating=low")
    agent.click(f"text={parcel.shipment.tracking_number}")
    rating = agent.locator("#shopper-rating")
    assert "Low rating." in rating.inner_text() and "Thrown over the fence." in rating.inner_text()
    screenshot(agent, "rating-low-on-shipment-page")
