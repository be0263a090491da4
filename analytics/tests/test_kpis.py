"""KPIs on handmade activity, each figure worked out by hand in the test."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.kpis import Filters, Period, percentile
from analytics.rollups import rollups_differences, rollups_update
from analytics.selectors import kpis_compute
from tenants.context import tenant_scope
from tenants.models import Tenant

from .activity import callback, milestone, rate, scan, send, shipment, utc, views

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)


@pytest.fixture
def berlin(personas) -> Tenant:
    tenant = personas.tenant_a
    Tenant.objects.filter(pk=tenant.pk).update(timezone="Europe/Berlin")
    tenant.refresh_from_db()
    return tenant


def figures(tenant, first: date, last: date, filters: Filters | None = None) -> dict:
    with tenant_scope(tenant):
        rollups_update(tenant)
        return kpis_compute(Period(first, last), filters or Filters(), today=TODAY)


def test_messaging_figures_count_each_message_on_its_local_send_day(berlin):
    # Given: 22:30 UTC is 23:30 in Berlin (9 March); 23:30 UTC is already 10 March there.
    late_open = send(berlin, at=utc(2026, 3, 9, 22, 30))
    callback(berlin, late_open, "delivered", at=utc(2026, 3, 9, 22, 31))
    callback(berlin, late_open, "open", at=utc(2026, 3, 12, 8, 0))  # three days later
    next_day = send(berlin, at=utc(2026, 3, 9, 23, 30))
    callback(berlin, next_day, "delivered", at=utc(2026, 3, 9, 23, 31))
    callback(berlin, next_day, "open", at=utc(2026, 3, 9, 23, 32), machine=True)
    bounce_after_delivery = send(berlin, at=utc(2026, 3, 9, 10))
    callback(berlin, bounce_after_delivery, "delivered", at=utc(2026, 3, 9, 10, 1))
    callback(berlin, bounce_after_delivery, "bounce", at=utc(2026, 3, 9, 11))
    bounced = send(berlin, at=utc(2026, 3, 9, 10))
    callback(berlin, bounced, "bounce", at=utc(2026, 3, 9, 10, 2))
    clicked = send(berlin, at=utc(2026, 3, 9, 12))
    callback(berlin, clicked, "delivered", at=utc(2026, 3, 9, 12, 1), event_id="dup")
    assert not callback(berlin, clicked, "delivered", at=utc(2026, 3, 9, 12, 1), event_id="dup")
    callback(berlin, clicked, "click", at=utc(2026, 3, 9, 13))
    callback(berlin, clicked, "unsubscribe", at=utc(2026, 3, 9, 13, 5))
    callback(berlin, clicked, "spamreport", at=utc(2026, 3, 9, 13, 6))
    sms = send(berlin, at=utc(2026, 3, 9, 9), channel="sms")
    callback(berlin, sms, "delivered", at=utc(2026, 3, 9, 9, 1))
    sms_failed = send(berlin, at=utc(2026, 3, 9, 9), channel="sms")
    callback(berlin, sms_failed, "failed", at=utc(2026, 3, 9, 9, 1))

    ninth = figures(berlin, date(2026, 3, 9), date(2026, 3, 9))
    tenth = figures(berlin, date(2026, 3, 10), date(2026, 3, 10))

    # 9 March: late_open, bounce_after_delivery, bounced, clicked.
    assert (ninth["emails_sent"], ninth["emails_delivered"], ninth["emails_bounced"]) == (4, 3, 1)
    assert (ninth["unique_opens"], ninth["machine_opens"], ninth["unique_clicks"]) == (2, 0, 1)
    assert ninth["open_rate"] == pytest.approx(2 / 3)
    assert ninth["click_rate"] == pytest.approx(1 / 3)
    assert ninth["click_to_open_rate"] == pytest.approx(1 / 2)
    assert (ninth["unsubscribes"], ninth["spam_reports"]) == (1, 1)
    assert (ninth["sms_sent"], ninth["sms_delivered"], ninth["sms_failed"]) == (2, 1, 1)
    assert ninth["sms_delivery_rate"] == pytest.approx(1 / 2)
    # 10 March: one e-mail, opened only by Apple's proxy: apart, and not in the open rate.
    assert (tenth["emails_sent"], tenth["unique_opens"], tenth["machine_opens"]) == (1, 0, 1)
    assert tenth["open_rate"] == 0


def test_an_empty_period_has_counts_of_zero_and_rates_of_no_data(berlin):
    result = figures(berlin, date(2026, 3, 1), date(2026, 3, 31))

    assert result["emails_sent"] == 0
    for name in ("open_rate", "click_rate", "on_time_rate", "transit_days_median",
                 "csat_average", "page_views_per_order", "repeat_purchase_rate_30d"):
        assert result[name] is None, name


def test_filters_narrow_the_messaging_figures(berlin):
    send(berlin, at=utc(2026, 3, 9, 12), channel="email", locale="de")
    send(berlin, at=utc(2026, 3, 9, 12), channel="email", locale="en")

    german = figures(berlin, date(2026, 3, 9), date(2026, 3, 9), Filters(locale="de"))
    sms_only = figures(berlin, date(2026, 3, 9), date(2026, 3, 9), Filters(channel="sms"))

    assert german["emails_sent"] == 1
    assert sms_only["emails_sent"] == 0


def test_delivery_figures_on_time_transit_and_exceptions(berlin):
    # Given three DHL parcels shipped on 2 March (Berlin) and one UPS parcel.
    on_time = shipment(berlin, shipped_at=utc(2026, 3, 2, 8), promised=date(2026, 3, 5))
    scan(berlin, on_time, "in_transit", at=utc(2026, 3, 2, 9), estimate=date(2026, 3, 4))
    scan(berlin, on_time, "in_transit", at=utc(2026, 3, 3, 9), estimate=date(2026, 3, 6))
    milestone(berlin, on_time, "shipped", at=utc(2026, 3, 2, 9))
    milestone(berlin, on_time, "delivered", at=utc(2026, 3, 4, 22, 30))  # 23:30 local, 4 March
    late = shipment(berlin, shipped_at=utc(2026, 3, 2, 8), promised=date(2026, 3, 5))
    scan(berlin, late, "in_transit", at=utc(2026, 3, 2, 9), estimate=date(2026, 3, 4))
    milestone(berlin, late, "shipped", at=utc(2026, 3, 2, 9))
    milestone(berlin, late, "delayed", at=utc(2026, 3, 5, 23, 30))  # 6 March local
    milestone(berlin, late, "delivered", at=utc(2026, 3, 5, 23, 30))  # 6 March local
    lost = shipment(berlin, shipped_at=utc(2026, 3, 2, 8))
    scan(berlin, lost, "exception", at=utc(2026, 3, 3, 10), cause="carrier")
    scan(berlin, lost, "exception", at=utc(2026, 3, 4, 10), cause="recipient")
    milestone(berlin, lost, "shipped", at=utc(2026, 3, 2, 9))
    milestone(berlin, lost, "exception", at=utc(2026, 3, 3, 10))
    milestone(berlin, lost, "stalled", at=utc(2026, 3, 6, 10))
    ups = shipment(berlin, carrier="UPS", shipped_at=utc(2026, 3, 1, 8))
    milestone(berlin, ups, "delivered", at=utc(2026, 3, 8, 8))  # 7 days, no promise

    march = figures(berlin, date(2026, 3, 1), date(2026, 3, 31))
    dhl = figures(berlin, date(2026, 3, 1), date(2026, 3, 31), Filters(carrier="DHL"))

    assert (march["shipments_shipped"], march["shipments_delivered"]) == (3, 3)
    # Promised 5 March: on_time (4 March) yes, late (6 March) no; UPS had no promise.
    assert march["on_time_rate"] == pytest.approx(1 / 2)
    # First estimates: both 4 March (on_time's later 6 March is not its first).
    assert march["on_time_rate_first_estimate"] == pytest.approx(1 / 2)
    # Transit days: 2 (on_time), 4 (late), 7 (UPS): median 4, p90 7.
    assert (march["transit_days_median"], march["transit_days_p90"]) == (4, 7)
    assert (dhl["transit_days_median"], dhl["transit_days_p90"]) == (2, 4)
    assert (march["exceptions"], march["delayed_shipments"], march["stalled_shipments"]) == (1, 1, 1)
    with tenant_scope(berlin):
        from analytics.models import ExceptionDay

        assert list(ExceptionDay.objects.values_list("carrier", "cause", "shipments")) == [
            ("DHL", "carrier", 1)]  # the first exception scan says who


def test_return_parcels_count_in_no_delivery_figure(berlin):
    """A return's parcel (tracking's return kind of milestones) is no delivery to the shopper."""
    from tracking.models import Shipment, ShipmentMilestone

    parcel = shipment(berlin, shipped_at=utc(2026, 3, 2, 8))
    with tenant_scope(berlin):
        Shipment.objects.filter(pk=parcel.pk).update(is_return=True, order=None)
        for name, at in (("shipped", utc(2026, 3, 2, 9)), ("delivered", utc(2026, 3, 4, 9))):
            ShipmentMilestone.objects.create(shipment=parcel, milestone=name, occurred_at=at,
                                             kind=ShipmentMilestone.RETURN_KIND)
    delivery = shipment(berlin, shipped_at=utc(2026, 3, 2, 8))
    milestone(berlin, delivery, "shipped", at=utc(2026, 3, 2, 9))
    milestone(berlin, delivery, "delivered", at=utc(2026, 3, 5, 9))
    march = figures(berlin, date(2026, 3, 1), date(2026, 3, 31))
    assert (march["shipments_shipped"], march["shipments_delivered"]) == (1, 1)
    assert (march["transit_days_median"], march["transit_days_p90"]) == (3, 3)


def test_shopper_figures_ratings_and_page_views(berlin):
    parcel = shipment(berlin, shipped_at=utc(2026, 3, 2, 8))
    milestone(berlin, parcel, "shipped", at=utc(2026, 3, 2, 9))
    other = shipment(berlin, shipped_at=utc(2026, 3, 2, 8))
    milestone(berlin, other, "shipped", at=utc(2026, 3, 2, 9))
    views(berlin, parcel, 3, day=date(2026, 3, 3))
    views(berlin, parcel, 2, day=date(2026, 3, 4), source="direct")
    rate(berlin, parcel, 5, at=utc(2026, 3, 5, 12))
    rate(berlin, other, 2, at=utc(2026, 3, 31, 22, 30))  # 1 April in Berlin

    with tenant_scope(berlin):
        from analytics.rollups import rollups_rebuild

        rollups_rebuild(berlin, date(2026, 3, 1), date(2026, 4, 30))
    march = figures(berlin, date(2026, 3, 1), date(2026, 3, 31))
    spring = figures(berlin, date(2026, 3, 1), date(2026, 4, 30))

    assert march["tracking_page_views"] == 5
    assert march["page_views_per_order"] == pytest.approx(5 / 2)
    assert (march["delivery_ratings"], march["csat_average"], march["csat_score"]) == (1, 5, 1)
    assert spring["csat_average"] == pytest.approx(3.5)
    assert spring["csat_score"] == pytest.approx(0.5)


def test_repeat_purchases_count_only_windows_that_have_passed(berlin, personas):
    from messaging.tests.factories import make_customer, make_order

    loyal, once = make_customer(berlin), make_customer(berlin)
    first = shipment(berlin, shipped_at=utc(2026, 3, 1, 8), customer=loyal)
    milestone(berlin, first, "delivered", at=utc(2026, 3, 3, 8))
    single = shipment(berlin, shipped_at=utc(2026, 3, 1, 8), customer=once)
    milestone(berlin, single, "delivered", at=utc(2026, 3, 3, 9))
    make_order(berlin, customer=loyal, placed_at=utc(2026, 4, 20, 8))  # 48 days later

    march = figures(berlin, date(2026, 3, 1), date(2026, 3, 31))
    with tenant_scope(berlin):
        recent = kpis_compute(Period(date(2026, 3, 1), date(2026, 3, 31)), Filters(),
                              today=date(2026, 4, 15))

    assert march["repeat_purchase_rate_30d"] == 0
    assert march["repeat_purchase_rate_60d"] == pytest.approx(1 / 2)
    assert march["repeat_purchase_rate_90d"] == pytest.approx(1 / 2)
    # On 15 April the 60- and 90-day windows of 3 March have not passed: no data yet.
    assert recent["repeat_purchase_rate_30d"] == 0
    assert recent["repeat_purchase_rate_60d"] is None


def test_late_events_update_the_right_day_and_reconcile(berlin):
    message = send(berlin, at=utc(2026, 3, 9, 12))
    callback(berlin, message, "delivered", at=utc(2026, 3, 9, 12, 1))
    before = figures(berlin, date(2026, 3, 9), date(2026, 3, 9))

    callback(berlin, message, "open", at=utc(2026, 3, 12, 12), machine=True)
    callback(berlin, message, "open", at=utc(2026, 3, 12, 13))
    after = figures(berlin, date(2026, 3, 9), date(2026, 3, 9))

    assert (before["unique_opens"], after["unique_opens"], after["machine_opens"]) == (0, 1, 0)
    with tenant_scope(berlin):
        assert rollups_differences(berlin, date(2026, 3, 1), date(2026, 3, 31)) == []


def test_percentile_is_the_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([(1, 1), (2, 1), (3, 1), (4, 1)], 0.5) == 2
    assert percentile([(1, 9), (10, 1)], 0.9) == 1
    assert percentile([(1, 9), (10, 2)], 0.9) == 10


def test_every_kpi_has_its_formula_in_the_docs():
    from pathlib import Path

    from analytics.kpis import KPIS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "analytics.md").read_text()
    missing = [kpi.name for kpi in KPIS if f"| `{kpi.name}` |" not in docs]
    assert missing == []


@pytest.mark.django_db(transaction=True)
def test_the_figures_statement_plans_generically_without_changing_the_session(berlin):
    """figures.py asks for the generic plan of its one statement for its own transaction
    only: outside it, every other statement of the connection plans as PostgreSQL chooses."""
    from django.db import connection

    result = figures(berlin, date(2026, 3, 1), date(2026, 3, 31))

    assert result["emails_sent"] == 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("auto",)
