"""A retailer signs up, confirms their address, lands in their new store and brands it,
watching the live preview follow their changes before they save."""

import pytest

from tenants import services
from tenants.context import tenant_scope
from tenants.models import Tenant
from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import link_in_last_mail, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long and lovely passphrase 42"


def test_sign_up_confirm_and_land_in_the_new_store(page):
    page.goto("/accounts/signup/")
    screenshot(page, "signup")
    page.fill("#id_store_name", "Harbour Kites")
    page.fill("#id_email", "hana@harbour.test")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    assert "Check your inbox" in page.inner_text("main")

    page.goto(link_in_last_mail("/accounts/confirm-email/"))
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Harbour Kites')")
    assert page.inner_text("h1") == "Harbour Kites"
    assert page.inner_text("[data-current-store]") == "Harbour Kites"
    screenshot(page, "overview")


def test_the_brand_preview_follows_the_form_before_saving(page, personas):
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto("/settings/brand/")
    button = page.locator("#preview-button")
    assert button.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(31, 111, 235)"

    page.fill("#id_primary_color", "#cc3300")
    page.select_option("#id_font", "georgia")
    page.fill("#id_sender_name", "Alpha Trail Crew")
    # Nothing is saved yet, but the preview already shows the new look.
    assert button.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(204, 51, 0)"
    assert "Georgia" in button.evaluate("el => getComputedStyle(el).fontFamily")
    assert page.inner_text("[data-preview-sender-name]") == "Alpha Trail Crew"
    with tenant_scope(Tenant.objects.get(slug="alpha")):
        assert services.brand_get(Tenant.objects.get(slug="alpha")).primary_color == "#1F6FEB"
    screenshot(page, "brand-preview")

    page.click("text=Save brand")
    page.wait_for_selector(".alert-success")
    with tenant_scope(Tenant.objects.get(slug="alpha")):
        brand = services.brand_get(Tenant.objects.get(slug="alpha"))
    assert (brand.primary_color, brand.font, brand.sender_name) == (
        "#CC3300", "georgia", "Alpha Trail Crew")
    assert button.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(204, 51, 0)"
