"""GET /api/v1/shipments/<id>/feedback/ and /api/v1/feedback/: the ratings shoppers gave,
filtered by stars, low ratings and time, in cursor pages, another tenant's never."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.tests.api_support import (  # noqa: F401 - fixtures
    alice_api_fixture,
    carol_api_fixture,
    error_fields,
    read_only_api_fixture,
    walk_pages,
)
from tenants.context import tenant_scope
from tracking.models import DeliveryFeedback
from tracking.services import delivery_feedback_save

from .page_support import make_parcel

pytestmark = pytest.mark.django_db
LIST = "/api/v1/feedback/"


def rated(tenant, rating: int, comment: str = "", *, days_ago: int = 0):
    parcel = make_parcel(tenant, statuses=("in_transit", "delivered"))
    with tenant_scope(tenant):
        feedback = delivery_feedback_save(tenant, parcel.shipment, rating=rating, comment=comment)
        if days_ago:
            DeliveryFeedback.objects.filter(pk=feedback.pk).update(
                created_at=timezone.now() - timedelta(days=days_ago))
    return parcel


def test_a_shipments_rating_reads_back_with_its_order(alice_api, personas):
    parcel = rated(personas.tenant_a, 2, "Box was crushed.")
    response = alice_api.get(f"/api/v1/shipments/{parcel.shipment.pk}/feedback/")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("shipment_id", "tracking_number", "order_id", "order_number",
                                 "rating", "comment", "low")} == {
        "shipment_id": parcel.shipment.pk, "tracking_number": parcel.shipment.tracking_number,
        "order_id": parcel.order.pk, "order_number": parcel.order.number, "rating": 2,
        "comment": "Box was crushed.", "low": True}
    assert body["editable_until"] > body["created_at"]


def test_a_shipment_not_rated_yet_says_so_apart_from_a_missing_one(alice_api, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("delivered",))
    response = alice_api.get(f"/api/v1/shipments/{parcel.shipment.pk}/feedback/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "feedback_not_found"
    response = alice_api.get("/api/v1/shipments/999999/feedback/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_another_tenants_shipment_rating_is_not_found(carol_api, personas):
    parcel = rated(personas.tenant_a, 1, "Alpha Secret Tent arrived wet")
    response = carol_api.get(f"/api/v1/shipments/{parcel.shipment.pk}/feedback/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert carol_api.get(LIST).json()["results"] == []


def test_the_list_filters_by_rating_low_and_time(alice_api, personas):
    tenant = personas.tenant_a
    five = rated(tenant, 5)
    one = rated(tenant, 1, days_ago=3)
    two = rated(tenant, 2, days_ago=10)

    def ids(query: str) -> list[int]:
        response = alice_api.get(f"{LIST}{query}")
        assert response.status_code == 200, response.content
        return [row["shipment_id"] for row in response.json()["results"]]

    assert ids("") == [five.shipment.pk, one.shipment.pk, two.shipment.pk]  # newest first
    assert ids("?low=true") == [one.shipment.pk, two.shipment.pk]
    assert ids("?low=false") == [five.shipment.pk]
    assert ids("?rating=2") == [two.shipment.pk]
    after = (timezone.now() - timedelta(days=5)).isoformat()
    before = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(f"?created_after={after.replace('+', '%2B')}&created_before="
               f"{before.replace('+', '%2B')}") == [one.shipment.pk]
    assert ids(f"?shipment={five.shipment.pk}") == [five.shipment.pk]


@pytest.mark.parametrize(("query", "field"), [
    ("?rating=6", "rating"), ("?rating=x", "rating"), ("?low=maybe", "low"),
    ("?created_after=yesterday", "created_after"), ("?stars=5", "stars"),
])
def test_bad_filters_are_a_400_naming_the_field(alice_api, query, field):
    response = alice_api.get(f"{LIST}{query}")
    assert response.status_code == 400
    assert field in error_fields(response)


def test_the_list_pages_with_a_cursor_in_a_fixed_number_of_queries(
        alice_api, personas, django_assert_max_num_queries):
    for rating in (1, 2, 3, 4, 5):
        rated(personas.tenant_a, rating)
    rows = walk_pages(alice_api, f"{LIST}?page_size=2")
    assert sorted(row["rating"] for row in rows) == [1, 2, 3, 4, 5]
    with django_assert_max_num_queries(2):  # the key, the page with shipments and orders
        assert alice_api.get(f"{LIST}?page_size=50").status_code == 200


def test_a_read_only_key_may_read_ratings(read_only_api, personas):
    rated(personas.tenant_a, 4)
    assert len(read_only_api.get(LIST).json()["results"]) == 1
