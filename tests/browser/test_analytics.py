"""The Analytics area with the demo store, in Chromium: the owner changes the period and a
filter, drills down from a number to the shipments behind it, and downloads a CSV whose
totals match the cards; at phone width nothing reaches past the screen's edge."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders.demo import seed_demo
from orders.demo_logins import DEMO_EMAIL, DEMO_PASSWORD
from tracking.demo import seed_demo_shipments

from .conftest import PHONE, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('main .kpi-card, main .chart-svg')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5).length"""


@pytest.fixture
def demo_store():
    tenant, _ = seed_demo()
    seed_demo_shipments(tenant, live=False)
    today = timezone.now().date()
    call_command("analytics_rebuild", "--from", str(today - timedelta(days=400)),
                 "--to", str(today + timedelta(days=1)))
    return tenant


def card_value(page, name: str) -> str:
    return page.locator(f'[data-kpi="{name}"] .kpi-value').inner_text().strip()


def test_the_owner_changes_the_period_filters_drills_down_and_exports(page, demo_store):
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    page.click("nav >> text=Analytics")
    page.wait_for_url("**/analytics/")
    assert page.locator("h1").inner_text() == "Analytics"

    # The period: the last 12 months, then one carrier.
    page.click("text=Last 12 months")
    page.wait_for_url(re.compile(r"start="))
    carriers = [o for o in page.locator("#id_carrier option").all_inner_texts() if o != "Any carrier"]
    assert carriers, "the demo's parcels have carriers"
    page.select_option("#id_carrier", carriers[0])
    page.click("form.analytics-filters button[type=submit]")
    page.wait_for_url(re.compile(r"carrier="))
    delivered = int(card_value(page, "shipments_delivered").replace(",", ""))
    assert delivered > 0
    screenshot(page, "analytics-laptop")

    # The CSV of the carrier table adds up to the card.
    with page.expect_download() as download:
        page.locator("#title-delivery_by_carrier").locator("..").locator("text=Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["carrier"] for row in rows} == {carriers[0]}
    assert sum(int(row["delivered"]) for row in rows) == delivered

    # The number links to the shipments behind it: as many as it says.
    page.click('[data-kpi="shipments_delivered"] .kpi-value a')
    page.wait_for_url("**/analytics/shipments/**")
    listed = page.locator("#drill-shipments tbody tr").count()
    pager = page.locator(".pager-label")
    total = int(re.search(r"of ([\d,]+)", pager.inner_text()).group(1).replace(",", "")) \
        if pager.count() and "of" in pager.inner_text() else listed
    assert total == delivered
    shown = page.locator("#drill-shipments tbody td[data-label=Carrier]").all_inner_texts()
    assert shown and all(text.startswith(carriers[0]) for text in shown)


def test_the_area_fits_a_phone(new_page, demo_store):
    page = new_page(PHONE)
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto("/analytics/")
    assert page.evaluate(WIDER_THAN_SCREEN) == 0
    screenshot(page, "analytics-phone")
