"""What a shopper will see, checked in Chromium on a phone (390 px) and a desktop (1280 px):
the template preview in the store's own brand with every picture loaded from this site, and
the preferences page of a German shopper with no English left on it."""

from __future__ import annotations

import io
import time
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from messaging.links import preferences_url
from messaging.rendering import default_templates_install
from messaging.tests.callbacks_support import make_customer, make_message
from messaging.tests.test_preferences_language import page_phrases
from tenants.context import tenant_scope
from tenants.services import brand_get, brand_update
from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import ARTIFACTS, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
PRIMARY = "#0E7C66"
PRIMARY_RGB = "rgb(14, 124, 102)"


def logo_png() -> ContentFile:
    image = Image.new("RGB", (240, 80), "#F2B134")
    ImageDraw.Draw(image).rectangle((16, 16, 224, 64), fill="#7A2E0E")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue())


@pytest.fixture
def branded_store(personas, settings, live_server):
    """Alpha Outfitters with its own colour and logo; links and pictures on the live server."""
    settings.PUBLIC_BASE_URL = live_server.url
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        brand_update(tenant, primary_color=PRIMARY)
        brand_get(tenant).logo.save("alpha.png", logo_png())
    with tenant_scope(tenant):
        return tenant, default_templates_install(tenant)


def assert_fits(page, width: int) -> None:
    """Nothing wider than the screen (the elements that stick out, if any, in the message)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.evaluate(
        f"[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        f" > {width}).map(e => e.tagName + '.' + e.className).slice(0, 8)")


def loaded_images(frame, count: int) -> list[dict]:
    """The frame's pictures once at least `count` finished loading (or failed)."""
    read = ("images => images.map(i => ({src: i.src, complete: i.complete,"
            " width: i.naturalWidth}))")
    deadline = time.monotonic() + 10
    while True:
        images = frame.locator("img").evaluate_all(read)
        if (len(images) >= count and all(i["complete"] for i in images)) or (
                time.monotonic() > deadline):
            return images
        time.sleep(0.1)


@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_the_preview_is_in_the_stores_brand_and_its_pictures_load(
        new_page, live_server, branded_store, viewport, size):
    tenant, templates = branded_store
    page = new_page(viewport)
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto(f"/journeys/templates/{templates['delivered-email'].pk}/?locale=en")
    frame_selector = "#preview .frame-phone" if size == "phone" else "#preview-desktop .frame-desktop"
    page.wait_for_selector(frame_selector)
    frame = page.frame_locator(frame_selector)

    # The logo, then the two sample products' pictures, all from this site, all loaded.
    images = loaded_images(frame, 3)
    host = urlsplit(live_server.url).netloc
    assert [i["src"] for i in images if urlsplit(i["src"]).netloc != host] == []
    assert [i["src"] for i in images if not i["width"]] == []
    sources = " ".join(i["src"] for i in images)
    assert "/media/logos/alpha" in sources and "/static/demo/products/tents.png" in sources
    # The store's colour, not the placeholder blue, behind the logo and on the button.
    colours = frame.locator("body *").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert colours.count(PRIMARY_RGB) >= 2
    assert "rgb(31, 111, 235)" not in colours

    assert_fits(page, viewport["width"])
    screenshot(page, f"preview-brand-{size}")
    card = "#preview" if size == "phone" else ".desktop-card"
    page.locator(card).scroll_into_view_if_needed()
    page.locator(card).screenshot(path=str(ARTIFACTS / f"preview-brand-{size}-frame.png"))


@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_german_shopper_reads_the_preferences_page_in_german(
        new_page, branded_store, viewport, size):
    tenant, _ = branded_store
    message = make_message(tenant, customer=make_customer(tenant, locale="de"), locale="de")
    page = new_page(viewport)
    page.goto(urlsplit(preferences_url(message)).path)
    page.wait_for_selector("h1")

    assert page.get_attribute("html", "lang") == "de"
    assert page.locator("h1").inner_text() == "Deine Benachrichtigungen"
    shown = " ".join([page.locator("body").inner_text(), page.title(), *page.locator(
        "[aria-label]").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")])
    english = page_phrases("en") - page_phrases("de")
    assert [phrase for phrase in english if phrase in shown] == []
    assert "Zugestellt per SMS" in shown and "Auswahl speichern" in shown
    assert page.evaluate("document.querySelector('header img').naturalWidth") > 0

    # Saving answers in German too.
    page.click("button:has-text('Auswahl speichern')")
    page.wait_for_selector("text=Gespeichert.")
    screenshot(page, f"preferences-de-{size}")
    assert_fits(page, viewport["width"])
