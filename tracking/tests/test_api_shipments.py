"""POST /api/v1/shipments/ attaches a carrier + tracking number (and items) to an order; GET
lists shipments with their canonical status."""

import json

import pytest

from orders.models import OrderEvent
from orders.tests.api_support import (  # noqa: F401 - fixtures
    alice_api_fixture,
    carol_api_fixture,
    error_fields,
    order_body,
    read_only_api_fixture,
    walk_pages,
)
from tenants.context import tenant_scope
from tenants.rls import cross_tenant
from tracking.models import Shipment, ShipmentItem

URL = "/api/v1/shipments/"


def shipment_body(**overrides) -> dict:
    return {"carrier": "ups", "tracking_number": "1Z0001", "order_external_id": "ord-1",
            "items": [{"line": 1, "quantity": 1}, {"sku": "PEG-10", "quantity": 2}], **overrides}


@pytest.fixture
def order(alice_api):
    return alice_api.post("/api/v1/orders/", order_body(), format="json").json()


@pytest.fixture
def push_events(alice_api, django_capture_on_commit_callbacks):
    def push(*events):
        with django_capture_on_commit_callbacks(execute=True):
            response = alice_api.generic("POST", "/api/v1/tracking-events/", json.dumps([
                {"tracking_number": "1Z0001", "carrier": "UPS", **event} for event in events]),
                content_type="application/json")
        assert response.status_code == 202, response.content
    return push


def timeline(tenant, kind: str) -> list[OrderEvent]:
    with tenant_scope(tenant):
        return list(OrderEvent.objects.filter(kind=kind))


@pytest.mark.django_db
def test_a_shipment_is_attached_to_an_order_with_its_items(alice_api, personas, order):
    response = alice_api.post(URL, shipment_body(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["carrier"], body["status"]) == ("UPS", "pending")
    assert body["order"] == {"id": order["id"], "external_id": "ord-1", "number": "#1001"}
    assert body["items"] == [{"line": 1, "sku": "TENT-2P", "title": "Trail tent", "quantity": 1},
                             {"line": 2, "sku": "PEG-10", "title": "Pegs", "quantity": 2}]
    assert body["delayed"] is False and body["stalled"] is False
    assert "public_token" not in body
    [created] = timeline(personas.tenant_a, "shipment_created")
    assert created.summary == "Shipment UPS 1Z0001 created" and created.actor.startswith("api:")


@pytest.mark.django_db
def test_posting_the_same_shipment_twice_keeps_one_of_everything(alice_api, personas, order):
    first = alice_api.post(URL, shipment_body(), format="json")
    second = alice_api.post(URL, shipment_body(), format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    with tenant_scope(personas.tenant_a):
        assert Shipment.objects.count() == 1
        assert ShipmentItem.objects.count() == 2
    assert len(timeline(personas.tenant_a, "shipment_created")) == 1


@pytest.mark.django_db
def test_the_order_can_be_named_by_its_number(alice_api, order):
    body = shipment_body(order_number="#1001", items=[])
    del body["order_external_id"]
    response = alice_api.post(URL, body, format="json")
    assert response.status_code == 201 and response.json()["order"]["id"] == order["id"]


@pytest.mark.django_db
def test_a_shipment_without_an_order_waits_for_one(alice_api, personas, order):
    body = {"carrier": "UPS", "tracking_number": "1Z0001"}
    assert alice_api.post(URL, body, format="json").json()["order"] is None
    response = alice_api.post(URL, shipment_body(), format="json")
    assert response.status_code == 200 and response.json()["order"]["id"] == order["id"]
    assert len(timeline(personas.tenant_a, "shipment_created")) == 1


@pytest.mark.django_db
def test_events_that_arrived_first_give_the_new_shipment_its_status(alice_api, personas, order,
                                                                    push_events):
    push_events({"status": "in_transit", "occurred_at": "2026-11-21T08:00:00Z", "event_id": "a"})
    response = alice_api.post(URL, shipment_body(), format="json")
    assert response.json()["status"] == "in_transit"
    assert [e["status"] for e in response.json()["events"]] == ["in_transit"]
    [changed] = timeline(personas.tenant_a, "shipment_status")
    assert changed.data["status"] == "in_transit"


@pytest.mark.django_db
def test_each_status_change_is_on_the_order_timeline_once_however_often_events_repeat(
        alice_api, personas, order, push_events):
    alice_api.post(URL, shipment_body(), format="json")
    events = [{"status": "in_transit", "occurred_at": "2026-11-21T08:00:00Z", "event_id": "a"},
              {"status": "delivered", "occurred_at": "2026-11-22T12:00:00Z", "event_id": "b"}]
    push_events(*events)
    push_events(*events)
    push_events({"status": "in_transit", "occurred_at": "2026-11-21T09:00:00Z", "event_id": "c"})
    changes = timeline(personas.tenant_a, "shipment_status")
    assert [e.data["status"] for e in changes] == ["in_transit", "delivered"]
    assert changes[-1].summary == "Shipment UPS 1Z0001: Delivered"
    assert changes[-1].actor == "carrier:generic"


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, field", [
    ({"order_external_id": "ord-404"}, "order_external_id"),
    ({"items": [{"line": 7, "quantity": 1}]}, "items[0].line"),
    ({"items": [{"sku": "NOPE", "quantity": 1}]}, "items[0].sku"),
    ({"items": [{"line": 2, "quantity": 3}]}, "items[0].quantity"),
    ({"items": [{"line": 1, "sku": "TENT-2P"}]}, "items[0]"),
    ({"items": [{"line": "first"}]}, "items[0].line"),
    ({"items": [{"line": 1, "colour": "red"}]}, "items[0].colour"),
    ({"tracking_number": "  "}, "tracking_number"),
    ({"promised_delivery": "soon"}, "promised_delivery"),
    ({"order_number": "#1001"}, "order_number"),  # both ways of naming the order
    ({"order_external_id": None}, "order_external_id"),
])
def test_bad_shipments_are_refused_with_the_field_named(alice_api, personas, order, overrides,
                                                        field):
    assert field in error_fields(alice_api.post(URL, shipment_body(**overrides), format="json"))
    with tenant_scope(personas.tenant_a):
        assert not Shipment.objects.exists()


@pytest.mark.django_db
def test_items_need_an_order(alice_api):
    body = {"carrier": "UPS", "tracking_number": "1Z0001", "items": [{"line": 1}]}
    assert "items" in error_fields(alice_api.post(URL, body, format="json"))


@pytest.mark.django_db
def test_a_missing_carrier_is_refused(alice_api, order):
    body = shipment_body()
    del body["carrier"]
    assert error_fields(alice_api.post(URL, body, format="json")) == {
        "carrier": ["This field is required."]}


@pytest.mark.django_db
def test_a_tracking_number_shipped_with_another_order_is_a_conflict(alice_api, order):
    alice_api.post("/api/v1/orders/", order_body(2), format="json")
    alice_api.post(URL, shipment_body(), format="json")
    response = alice_api.post(URL, shipment_body(order_external_id="ord-2", items=[]),
                              format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


@pytest.mark.django_db
def test_carol_cannot_attach_a_shipment_to_alices_order(alice_api, carol_api, personas, order):
    response = carol_api.post(URL, shipment_body(), format="json")
    assert "order_external_id" in error_fields(response)
    assert timeline(personas.tenant_a, "shipment_created") == []


@pytest.mark.django_db
def test_a_read_only_key_cannot_create_shipments(read_only_api, personas, order):
    assert read_only_api.post(URL, shipment_body(), format="json").status_code == 403
    with tenant_scope(personas.tenant_a):
        assert not Shipment.objects.exists()


@pytest.fixture
def shipments(alice_api):
    for n in range(1, 5):
        alice_api.post("/api/v1/orders/", order_body(n), format="json")
        alice_api.post(URL, shipment_body(carrier="DHL" if n % 2 else "UPS",
                                          tracking_number=f"TN{n}", order_external_id=f"ord-{n}"),
                       format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("query, numbers", [
    ({}, ["TN4", "TN3", "TN2", "TN1"]),
    ({"carrier": "dhl"}, ["TN3", "TN1"]),
    ({"tracking_number": "TN2"}, ["TN2"]),
    ({"order_number": "#1003"}, ["TN3"]),
    ({"order_external_id": "ord-4"}, ["TN4"]),
    ({"customer_email": "Shopper1@example.test"}, ["TN1"]),
    ({"status": "delivered"}, []),
    ({"status": "pending", "delayed": "false"}, ["TN4", "TN3", "TN2", "TN1"]),
    ({"stalled": "true"}, []),
    ({"created_after": "2999-01-01T00:00:00Z"}, []),
])
def test_the_shipment_list_filters(alice_api, shipments, query, numbers):
    response = alice_api.get(URL, query)
    assert [s["tracking_number"] for s in response.json()["results"]] == numbers


@pytest.mark.django_db
@pytest.mark.parametrize("query, field", [
    ({"status": "lost_at_sea"}, "status"), ({"created_after": "soon"}, "created_after"),
    ({"trackingnumber": "TN1"}, "trackingnumber"),
])
def test_bad_shipment_filters_are_named(alice_api, query, field):
    assert field in error_fields(alice_api.get(URL, query))


@pytest.mark.django_db
def test_the_shipment_list_pages_with_a_cursor(alice_api, shipments):
    numbers = [s["tracking_number"] for s in walk_pages(alice_api, f"{URL}?page_size=3")]
    assert numbers == ["TN4", "TN3", "TN2", "TN1"]


@pytest.mark.django_db
def test_one_shipment_is_shown_with_its_events_and_carol_sees_none(alice_api, carol_api, order,
                                                                   push_events):
    shipment_id = alice_api.post(URL, shipment_body(), format="json").json()["id"]
    push_events({"status": "in_transit", "occurred_at": "2026-11-21T08:00:00Z", "event_id": "a",
                 "message": "Departed facility"})
    body = alice_api.get(f"{URL}{shipment_id}/").json()
    assert body["status"] == "in_transit"
    assert [(e["status"], e["message"]) for e in body["events"]] == [
        ("in_transit", "Departed facility")]
    assert carol_api.get(f"{URL}{shipment_id}/").status_code == 404
    assert carol_api.get(URL).json()["results"] == []


@pytest.mark.django_db
def test_listing_shipments_costs_a_fixed_number_of_queries(alice_api, shipments,
                                                           django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # the key, the page with orders, the items
        assert len(alice_api.get(URL).json()["results"]) == 4


@pytest.mark.django_db
def test_a_shipment_carries_its_public_tracking_url(alice_api, order, settings):
    created = alice_api.post(URL, shipment_body(), format="json").json()
    with cross_tenant("a test reads across stores"):
        token = Shipment.objects.unscoped(reason="test reads the token").get(pk=created["id"]).public_token
    expected = f"{settings.PUBLIC_BASE_URL}/t/{token}/"
    assert created["tracking_url"] == expected
    assert alice_api.get(URL).json()["results"][0]["tracking_url"] == expected
    assert alice_api.get(f"{URL}{created['id']}/").json()["tracking_url"] == expected


@pytest.mark.django_db
def test_the_tracking_url_is_on_the_stores_own_domain_once_it_maps_one(alice_api, carol_api,
                                                                      personas, order):
    alice_api.patch("/api/v1/brand/", {"custom_tracking_domain": "track.alpha.example"},
                    format="json")
    created = alice_api.post(URL, shipment_body(), format="json").json()
    with cross_tenant("a test reads across stores"):
        token = Shipment.objects.unscoped(reason="test reads the token").get(pk=created["id"]).public_token
    assert created["tracking_url"] == f"https://track.alpha.example/t/{token}/"
    [listed] = alice_api.get(URL).json()["results"]
    assert listed["tracking_url"] == f"https://track.alpha.example/t/{token}/"
    # Another store's shipments keep the platform's address: the domain is per tenant.
    carol_api.post("/api/v1/orders/", order_body(), format="json")
    other = carol_api.post(URL, shipment_body(), format="json").json()
    assert "track.alpha.example" not in other["tracking_url"]
