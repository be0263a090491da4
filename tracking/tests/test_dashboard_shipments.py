"""Shipments pages: the list filters and pages without N+1, the detail shows every stored
event, including those that did not change the status."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.urls import reverse

from tenants.context import tenant_scope
from tracking import services
from tracking.carriers.base import NormalizedEvent, NormalizedUpdate
from tracking.models import Shipment

pytestmark = pytest.mark.django_db
LIST = reverse("tracking:shipments")


def scan(number: str, status: str, when: str, key: str) -> NormalizedEvent:
    return NormalizedEvent(
        tracking_number=number, carrier="USPS", status=status, source_code=status,
        source_subcode=None, message=f"{status} scan", occurred_at=datetime.fromisoformat(when),
        location={"city": "BROOKLYN", "country": "US"}, exception_cause=None,
        estimated_delivery=None, dedup_key=f"test:{key}", raw={})


def apply(tenant, number: str, *scans: NormalizedEvent) -> None:
    services.updates_apply(tenant, [NormalizedUpdate(
        source="easypost", tracking_number=number, carrier="USPS", service=None,
        estimated_delivery=None, events=list(scans), provider_object_id=None)])


@pytest.fixture
def alpha(personas, django_capture_on_commit_callbacks):
    with tenant_scope(personas.tenant_a), django_capture_on_commit_callbacks(execute=False):
        yield personas.tenant_a


def test_the_list_filters_by_status_carrier_and_flags(client, personas, alpha):
    services.shipment_create(alpha, carrier="USPS", tracking_number="US-1")
    late = services.shipment_create(alpha, carrier="DHL", tracking_number="DE-1")
    Shipment.objects.filter(pk=late.pk).update(delayed=True, status="in_transit")
    client.force_login(personas.bob)

    def numbers(**params) -> set[str]:
        body = client.get(LIST, params).content.decode()
        return {n for n in ("US-1", "DE-1") if n in body}

    assert numbers() == {"US-1", "DE-1"}
    assert numbers(status="in_transit") == {"DE-1"}
    assert numbers(carrier="USPS") == {"US-1"}
    assert numbers(flag="delayed") == {"DE-1"}
    assert numbers(flag="stalled") == set()
    today = date.today().isoformat()
    assert numbers(created_from=today, created_to=today) == {"US-1", "DE-1"}
    assert numbers(created_to="2000-01-01") == set()
    assert numbers(q="DE-1") == {"DE-1"}


def test_the_list_pages_newest_first_without_n_plus_one(
        client, personas, alpha, django_assert_max_num_queries):
    for n in range(55):
        services.shipment_create(alpha, carrier="USPS", tracking_number=f"PG-{n:03}")
    client.force_login(personas.bob)
    with django_assert_max_num_queries(9):  # one of them the capped count of the pager
        body = client.get(LIST).content.decode()
    row_link = 'class="mono" href="/shipments/'
    assert body.count(row_link) == 50 and 'rel="next"' in body
    assert "Newest first · 1–50 of 55" in body and body.index("PG-054") < body.index("PG-053")
    second = client.get(LIST, {"page": 2}).content.decode()
    assert second.count(row_link) == 5 and 'rel="prev"' in second
    assert "Newest first · 51–55 of 55" in second and "PG-000" in second


def test_the_timeline_shows_every_event_and_marks_those_that_changed_nothing(
        client, personas, alpha):
    shipment = services.shipment_create(alpha, carrier="USPS", tracking_number="TL-1")
    apply(alpha, "TL-1", scan("TL-1", "in_transit", "2026-11-01T10:00:00+00:00", "a"),
          scan("TL-1", "delivered", "2026-11-02T10:00:00+00:00", "b"))
    # A late scan after delivery: stored, shown, but the parcel stays delivered.
    apply(alpha, "TL-1", scan("TL-1", "in_transit", "2026-11-03T10:00:00+00:00", "c"))
    client.force_login(personas.bob)
    body = client.get(reverse("tracking:shipment", args=[shipment.pk])).content.decode()
    timeline = body[body.index('id="timeline"'):]
    assert timeline.count("<li") == 3
    assert "did not change the status" in timeline
    assert body.count('class="unchanged"') == 1
    assert "Delivered" in body and "Shipped" in body  # milestones reached
    assert Shipment.objects.get(pk=shipment.pk).status == "delivered"


def test_the_detail_shows_the_order_and_dates(client, personas, alpha):
    from orders.services import order_upsert
    from tracking.csv_rows import csv_groups, template_csv

    order, _ = order_upsert(alpha, csv_groups(template_csv().encode())[0][0].order)
    shipment = services.shipment_create(alpha, carrier="DHL", tracking_number="D-9", order=order,
                                        promised_delivery=date(2026, 3, 6))
    client.force_login(personas.bob)
    body = client.get(reverse("tracking:shipment", args=[shipment.pk])).content.decode()
    assert f'href="/orders/{order.pk}/"' in body  # the agent console's order page
    assert "6 Mar 2026" in body and "D-9" in body


def test_a_shipment_of_another_store_is_not_found(client, personas, alpha):
    shipment = services.shipment_create(alpha, carrier="USPS", tracking_number="X-1")
    client.force_login(personas.carol)
    assert client.get(reverse("tracking:shipment", args=[shipment.pk])).status_code == 404
    assert "X-1" not in client.get(LIST).content.decode()


def test_the_navigation_leads_to_shipments_and_orders_without_a_soon_mark(client, personas):
    client.force_login(personas.bob)
    body = client.get(LIST).content.decode()
    nav = body[body.index('<nav class="sidenav"'):]
    nav = nav[:nav.index("</nav>")]
    assert 'href="/shipments/" aria-current="page"' in nav and 'href="/orders/"' in nav
    orders_item = nav[nav.index('href="/orders/"'):nav.index('href="/shipments/"')]
    assert "Soon" not in orders_item

