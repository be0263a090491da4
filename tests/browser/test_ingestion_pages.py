"""An agent imports orders from a CSV file with one bad row: the progress bar (polled with htmx)
reaches done, the bad row is named by its line, and the imported parcels show up under
Shipments with their timeline. An owner sends a carrier test event and finds it in the log."""

from __future__ import annotations

from datetime import datetime

import pytest

from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.models import Tenant
from tenants.tests.factories import DEFAULT_PASSWORD
from tracking import services
from tracking.carriers.base import NormalizedEvent, NormalizedUpdate
from tracking.csv_import import orders_csv_import_run

from .conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = "\n".join((
    "order_number,placed_at,currency,email,first_name,last_name,sku,title,quantity,unit_price,"
    "carrier,tracking_number,promised_delivery_date",
    "2001,2026-03-02T10:15:00+01:00,EUR,ana@example.test,Ana,Schmidt,TENT-2P,Trail tent,1,249.00,"
    "USPS,9400111899223456789012,2026-03-06",
    "2001,2026-03-02T10:15:00+01:00,EUR,ana@example.test,Ana,Schmidt,PEG-10,Tent pegs,2,9.50,"
    "USPS,9400111899223456789012,2026-03-06",
    "2002,2026-03-03T09:00:00+01:00,EUR,ben@example.test,Ben,Okafor,MAT-1,Sleeping mat,lots,39.00,"
    ",,",  # line 4: the bad row
    "2003,2026-03-03T11:30:00+01:00,EUR,cem@example.test,Cem,Yilmaz,STOVE,Camp stove,1,59.00,"
    "DHL,00340434161234567890,",
)).encode() + b"\n"


def scan(status: str, when: str, key: str) -> NormalizedEvent:
    return NormalizedEvent(
        tracking_number="9400111899223456789012", carrier="USPS", status=status,
        source_code=status, source_subcode=None, message=f"{status.replace('_', ' ')} scan",
        occurred_at=datetime.fromisoformat(when), location={"city": "BROOKLYN", "country": "US"},
        exception_cause=None, estimated_delivery=None, dedup_key=f"browser:{key}", raw={})


def test_a_csv_import_reports_its_bad_row_and_its_parcels_appear(page, personas, monkeypatch):
    queued = []
    # No worker runs here: the test plays the worker once the page is polling.
    monkeypatch.setattr("tracking.tasks.orders_csv_import.apply_async",
                        lambda args, **options: queued.append(args))
    log_in(page, "bob@alpha.test", DEFAULT_PASSWORD)
    page.goto("/orders/")
    page.get_by_role("link", name="Import CSV").click()
    assert page.get_by_role("link", name="Download the template CSV").is_visible()
    screenshot(page, "orders-import")

    page.set_input_files("#id_file", files=[
        {"name": "march.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_selector("text=Waiting to start")
    assert page.locator("#import-progress[hx-trigger='every 1s']").count() == 1

    tenant = Tenant.objects.get(slug="alpha")
    (tenant_id, job_id), = queued
    with tenant_scope(tenant):
        orders_csv_import_run(tenant, job_id)
    page.wait_for_selector("#import-status:has-text('Done')")
    assert page.get_attribute("#import-progress progress", "value") == "100"
    assert page.locator("#import-progress[hx-trigger]").count() == 0  # polling stopped
    errors = page.locator("#import-errors").inner_text()
    assert "4" in errors and "quantity “lots” is not a whole number." in errors
    assert "3 row(s) imported" in page.inner_text("#import-progress")
    screenshot(page, "orders-import-done")

    with tenant_scope(tenant):
        services.updates_apply(tenant, [NormalizedUpdate(
            source="easypost", tracking_number="9400111899223456789012", carrier="USPS",
            service=None, estimated_delivery=None, provider_object_id=None, events=[
                scan("pending", "2026-03-02T18:00:00+00:00", "a"),
                scan("in_transit", "2026-03-03T08:00:00+00:00", "b"),
                scan("delivered", "2026-03-05T12:00:00+00:00", "c"),
                scan("in_transit", "2026-03-05T15:00:00+00:00", "d")])])
    page.get_by_role("link", name="Shipments").first.click()
    page.wait_for_selector("#shipments-table")
    assert page.locator("#shipments-table tbody tr").count() == 2
    screenshot(page, "shipments")
    page.get_by_role("link", name="9400111899223456789012").click()
    page.wait_for_selector("#timeline")
    assert page.locator("#timeline li").count() == 4
    assert page.locator("#timeline li.unchanged").count() == 1
    assert "did not change the status" in page.inner_text("#timeline")
    assert "2001" in page.inner_text("main")
    screenshot(page, "shipment-timeline")


def test_a_test_event_from_integrations_lands_in_the_webhook_log(page, personas, monkeypatch):
    monkeypatch.setattr("tracking.tasks.inbound_drain.apply_async",
                        lambda args, **options: None)  # no worker
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, "easypost",
                                       {"webhook_secret": "whsec-browser"})
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.goto("/settings/integrations/")
    page.locator("#easypost").get_by_role("button", name="Send a test event").click()
    page.wait_for_selector("text=Test event sent from EasyPost.")
    assert "Test event" in page.inner_text("h1")
    assert "tracker.updated" in page.inner_text("#webhook-body")
    screenshot(page, "webhook-detail")
    page.get_by_role("link", name="← Webhook log").click()
    page.wait_for_selector("#webhooks-table")
    assert "EasyPost" in page.inner_text("#webhooks-table")
    screenshot(page, "webhook-log")
