"""GET /api/v1/tracking-events/: every stored event, filtered and paged (POST is covered in
test_generic_api.py)."""

import json

import pytest

from orders.tests.api_support import (  # noqa: F401 - fixtures
    alice_api_fixture,
    carol_api_fixture,
    error_fields,
    read_only_api_fixture,
    walk_pages,
)

URL = "/api/v1/tracking-events/"


@pytest.fixture
def events(alice_api, django_capture_on_commit_callbacks):
    """Two parcels: 1ZA has a shipment and three scans; 1ZB's two scans wait for theirs."""
    alice_api.post("/api/v1/shipments/", {"carrier": "UPS", "tracking_number": "1ZA"},
                   format="json")
    scans = [("1ZA", "pending", "2026-11-20T08:00:00Z"), ("1ZA", "in_transit", "2026-11-21T08:00:00Z"),
             ("1ZA", "delivered", "2026-11-22T08:00:00Z"), ("1ZB", "in_transit", "2026-11-21T09:00:00Z"),
             ("1ZB", "exception", "2026-11-23T09:00:00Z")]
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.generic("POST", URL, json.dumps([
            {"tracking_number": n, "carrier": "UPS", "status": s, "occurred_at": at}
            for n, s, at in scans]), content_type="application/json")
    assert response.status_code == 202
    return alice_api.get("/api/v1/shipments/").json()["results"][0]["id"]


def statuses(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content
    return [(e["tracking_number"], e["status"]) for e in response.json()["results"]]


@pytest.mark.django_db
def test_events_are_listed_most_recent_first(alice_api, events):
    assert statuses(alice_api.get(URL)) == [
        ("1ZB", "exception"), ("1ZA", "delivered"), ("1ZB", "in_transit"), ("1ZA", "in_transit"),
        ("1ZA", "pending")]


@pytest.mark.django_db
def test_events_are_filtered_by_tracking_number_shipment_status_and_time(alice_api, events):
    assert statuses(alice_api.get(URL, {"tracking_number": "1ZB"})) == [
        ("1ZB", "exception"), ("1ZB", "in_transit")]
    assert len(statuses(alice_api.get(URL, {"shipment": events}))) == 3
    assert statuses(alice_api.get(URL, {"status": "in_transit", "since": "2026-11-21T08:30:00Z"})) == [
        ("1ZB", "in_transit")]


@pytest.mark.django_db
@pytest.mark.parametrize("query, field", [
    ({"since": "last week"}, "since"), ({"status": "teleported"}, "status"),
    ({"shipment": "abc"}, "shipment"), ({"tracking": "1ZA"}, "tracking"),
])
def test_bad_event_filters_are_named(alice_api, query, field):
    assert field in error_fields(alice_api.get(URL, query))


@pytest.mark.django_db
def test_events_are_paged_with_a_cursor(alice_api, events):
    assert len(walk_pages(alice_api, f"{URL}?page_size=2")) == 5


@pytest.mark.django_db
def test_a_read_only_key_reads_events_but_cannot_push_them(read_only_api, events):
    assert len(statuses(read_only_api.get(URL))) == 5
    response = read_only_api.generic("POST", URL, "[]", content_type="application/json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_carol_sees_none_of_alices_events(carol_api, events):
    assert statuses(carol_api.get(URL)) == []
    assert statuses(carol_api.get(URL, {"shipment": events})) == []


@pytest.mark.django_db
def test_listing_events_costs_a_fixed_number_of_queries(alice_api, events,
                                                        django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the key, the page
        alice_api.get(URL)
