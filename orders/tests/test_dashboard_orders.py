"""The orders list: newest placed first whatever order the rows were made in, a page at a
time with a capped count, and a fixed number of queries however many orders show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from messaging.tests.factories import make_order

pytestmark = pytest.mark.django_db
LIST = reverse("orders:list")
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_orders_are_listed_newest_placed_first_a_page_at_a_time(
        client, personas, django_assert_max_num_queries):
    # Made newest first, as a CSV export lists them: the list must not follow the ids.
    for n in reversed(range(53)):
        make_order(personas.tenant_a, lines=1, number=f"#{7000 + n}",
                   placed_at=START + timedelta(hours=n))
    client.force_login(personas.bob)
    with django_assert_max_num_queries(8):
        body = client.get(LIST).content.decode()
    assert body.index("#7052") < body.index("#7051") < body.index("#7003")
    assert "#7002" not in body and "Newest first · 1–50 of 53" in body and 'rel="next"' in body
    second = client.get(LIST, {"page": 2}).content.decode()
    assert "Newest first · 51–53 of 53" in second and 'rel="prev"' in second
    assert second.index("#7002") < second.index("#7000")


def test_the_count_stops_at_its_cap(client, personas, monkeypatch):
    monkeypatch.setattr("tenants.views.paging.COUNT_CAP", 50)
    for n in range(52):
        make_order(personas.tenant_a, lines=1, number=f"#{8000 + n}")
    client.force_login(personas.bob)
    body = client.get(LIST).content.decode()
    assert "Newest first · 1–50 of 50+" in body and 'rel="next"' in body
