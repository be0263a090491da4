"""GET /api/v1/orders/<id>/: the order with its lines, shipments (with their events) and the
timeline, in a fixed number of queries."""

import json

import pytest

from orders.tests.api_support import alice_api_fixture, carol_api_fixture, order_body  # noqa: F401 - fixtures

ORDERS = "/api/v1/orders/"


@pytest.fixture
def shipped_order(alice_api, django_capture_on_commit_callbacks):
    """Order #1001 in two parcels: the tent delivered, the pegs in transit."""
    order = alice_api.post(ORDERS, order_body(), format="json").json()
    for number, line in (("1ZTENT", 1), ("1ZPEGS", 2)):
        alice_api.post("/api/v1/shipments/", {
            "carrier": "UPS", "tracking_number": number, "order_external_id": "ord-1",
            "items": [{"line": line}]}, format="json")
    events = [("1ZTENT", "in_transit", "2026-11-21T08:00:00Z"),
              ("1ZTENT", "delivered", "2026-11-22T12:00:00Z"),
              ("1ZPEGS", "in_transit", "2026-11-22T08:00:00Z")]
    with django_capture_on_commit_callbacks(execute=True):
        alice_api.generic("POST", "/api/v1/tracking-events/", json.dumps([
            {"tracking_number": n, "carrier": "UPS", "status": s, "occurred_at": at}
            for n, s, at in events]), content_type="application/json")
    return order


@pytest.mark.django_db
def test_the_order_detail_shows_lines_shipments_with_events_and_the_timeline(alice_api,
                                                                             shipped_order,
                                                                             settings):
    response = alice_api.get(f"{ORDERS}{shipped_order['id']}/")
    assert response.status_code == 200
    body = response.json()
    assert [line["title"] for line in body["lines"]] == ["Trail tent", "Pegs"]
    assert body["customer"]["email"] == "shopper1@example.test"
    tent, pegs = body["shipments"]
    assert (tent["tracking_number"], tent["status"]) == ("1ZTENT", "delivered")
    assert [e["status"] for e in tent["events"]] == ["in_transit", "delivered"]
    assert [item["title"] for item in tent["items"]] == ["Trail tent"]
    assert (pegs["status"], [item["line"] for item in pegs["items"]]) == ("in_transit", [2])
    assert tent["tracking_url"].startswith(f"{settings.PUBLIC_BASE_URL}/t/")
    assert pegs["tracking_url"] != tent["tracking_url"]
    kinds = [(e["kind"], e["data"].get("status")) for e in body["timeline"]]
    assert kinds[0] == ("created", None)
    assert kinds.count(("shipment_created", None)) == 2
    assert ("shipment_status", "delivered") in kinds
    assert [e["occurred_at"] for e in body["timeline"]] == sorted(
        e["occurred_at"] for e in body["timeline"])


@pytest.mark.django_db
def test_an_unknown_order_is_404_in_the_error_shape(alice_api, carol_api, shipped_order):
    assert alice_api.get(f"{ORDERS}999999/").json()["error"]["code"] == "not_found"
    assert carol_api.get(f"{ORDERS}{shipped_order['id']}/").status_code == 404


@pytest.mark.django_db
def test_the_order_detail_costs_the_same_queries_however_many_shipments(
        alice_api, shipped_order, django_assert_max_num_queries):
    # the key; the order with its customer; lines; timeline; shipments; their items; events
    with django_assert_max_num_queries(7):
        alice_api.get(f"{ORDERS}{shipped_order['id']}/")
