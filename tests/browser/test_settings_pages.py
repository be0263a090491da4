"""An owner works through the settings pages: keys, roles and integrations, with the
htmx row actions updating the page in place."""

import pytest

from tenants import services
from tenants.context import tenant_scope
from tenants.models import Membership, Tenant
from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_api_key_is_shown_once_and_revoked_in_place(page, personas):
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto("/settings/api-keys/")
    page.fill("#id_name", "Warehouse sync")
    page.click("text=Create key")
    raw = page.input_value("#raw-key")
    assert raw.startswith("dsk_") and services.api_key_authenticate(raw) is not None
    screenshot(page, "api-keys")

    row = page.locator("tr", has_text="Warehouse sync")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_selector("tr:has-text('Warehouse sync') >> text=Revoked")
    assert page.locator("#raw-key").count() == 1  # no reload: the key is still on screen
    assert services.api_key_authenticate(raw) is None


def test_a_role_changes_inline_without_a_reload(page, personas):
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto("/settings/members/")
    page.evaluate("window.__marker = 'same page'")
    page.locator("tr", has_text="bob@alpha.test").locator("select").select_option("viewer")
    page.wait_for_selector("text=bob@alpha.test is now viewer.")
    assert page.evaluate("window.__marker") == "same page"
    with tenant_scope(Tenant.objects.get(slug="alpha")):
        assert Membership.objects.get(user__email="bob@alpha.test").role == "viewer"


def test_connecting_an_integration_shows_it_masked(page, personas):
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto("/settings/integrations/")
    card = page.locator("#easypost")
    assert "/webhooks/easypost/alpha/" in card.locator("input[readonly]").input_value()
    card.get_by_text("Connect EasyPost").click()
    card.get_by_label("Webhook secret").fill("whsec_easy_1234567890")  # no API key: no labels
    card.get_by_role("button", name="Connect").click()
    page.wait_for_selector("text=EasyPost is connected.")
    card = page.locator("#easypost")
    assert "Connected" in card.inner_text() and "••••••••7890" in card.inner_text()
    assert "whsec_easy_1234567890" not in page.content()
    screenshot(page, "integrations")
