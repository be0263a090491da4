"""EasyPost: one line per recorded payload, the mapping table, and malformed bodies."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from tracking.carriers import PayloadError, get_adapter
from tracking.carriers.easypost import mapping
from tracking.statuses import ExceptionCause, TrackingStatus
from tracking.tests.support import at, fixture_bytes, fixture_names, summary

S, C = TrackingStatus, ExceptionCause
adapter = get_adapter("easypost")

FEDEX_IN_TRANSIT = [
    (S.PENDING, "pre_transit", "label_created", at("2024-07-31T15:00:00Z"), None),
    (S.IN_TRANSIT, "in_transit", "arrived_at_facility", at("2024-07-31T19:27:00Z"), None),
    (S.IN_TRANSIT, "in_transit", "arrived_at_facility", at("2024-07-31T22:35:00Z"), None),
    (S.IN_TRANSIT, "in_transit", "departed_facility", at("2024-08-01T14:42:13Z"), None),
    (S.IN_TRANSIT, "in_transit", "unknown", at("2024-08-02T02:46:19Z"), None),
    (S.IN_TRANSIT, "in_transit", "unknown", at("2024-08-02T18:35:20Z"), None),
    (S.IN_TRANSIT, "in_transit", "arrived_at_facility", at("2024-08-02T18:50:00Z"), None),
]

# fixture → (tracking number, carrier, summary status, estimated delivery, events)
EXPECTED = {
    "tracker_updated_published_vector.json": ("1", "FEDEX", S.IN_TRANSIT, date(2024, 8, 5), FEDEX_IN_TRANSIT),
    "tracker_updated_regression_vector.json": ("EZ4000000004", "USPS", S.DELIVERED, date(2024, 5, 2), []),
    "tracker_updated_delivered.json": ("EZ4000000004", "USPS", S.DELIVERED, date(2024, 5, 2), [
        (S.DELIVERED, "delivered", "arrived_at_destination", at("2024-05-02T17:55:00Z"), None)]),
    "tracker_created_pre_transit.json": ("EZ1000000001", "USPS", S.PENDING, None, [
        (S.PENDING, "pre_transit", "label_created", at("2024-04-30T09:00:00Z"), None)]),
    "tracker_updated_return_to_sender.json": (
        "9400111899223456789555", "USPS", S.RETURNED_TO_SENDER, date(2024, 5, 3), [
            (S.IN_TRANSIT, "in_transit", "departed_facility", at("2024-05-02T04:10:00Z"), None),
            (S.EXCEPTION, "failure", "address_correction", at("2024-05-03T14:22:00Z"), C.RECIPIENT),
            (S.RETURNED_TO_SENDER, "return_to_sender", "unknown", at("2024-05-06T15:45:00Z"), None)]),
}
IGNORED = {"batch_updated_ignored.json"}


def test_every_recorded_payload_has_an_expectation():
    assert set(fixture_names("easypost")) == set(EXPECTED) | IGNORED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_payload_normalises_to_expected_events(name):
    tracking_number, carrier, status, estimated, events = EXPECTED[name]
    [update] = adapter.parse(fixture_bytes("easypost", name))
    assert (update.source, update.tracking_number, update.carrier) == ("easypost", tracking_number, carrier)
    assert (update.status, update.estimated_delivery) == (status, estimated)
    assert summary(update) == events


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_events_other_than_trackers_are_ignored(name):
    assert adapter.parse(fixture_bytes("easypost", name)) == []


def test_the_published_vector_keeps_ids_service_and_locations():
    [update] = adapter.parse(fixture_bytes("easypost", "tracker_updated_published_vector.json"))
    assert (update.provider_event_id, update.provider_object_id, update.service) == ("evt_1", "trk_1",
                                                                                     "FEDEX_GROUND")
    assert update.test_mode is False
    first, second = update.events[:2]
    assert first.location == {"country": "US", "postal_code": "32837"}
    assert second.location == {"city": "ORLANDO", "state": "FL", "country": "US", "postal_code": "32809"}
    assert second.message == "Picked up" and second.raw["carrier_code"] == "PU"


# The codes wire-formats.md §1.1 lists.
DOCUMENTED_STATUSES = ["unknown", "pre_transit", "in_transit", "out_for_delivery", "delivered",
                       "available_for_pickup", "return_to_sender", "failure", "cancelled", "error"]
DOCUMENTED_DETAILS = ["address_correction", "arrived_at_destination", "arrived_at_facility",
                      "arrived_at_pickup_location", "awaiting_information", "label_created",
                      "departed_facility", "status_update", "unknown"]


def test_the_table_covers_every_documented_code():
    assert set(DOCUMENTED_STATUSES) <= set(mapping.STATUS)
    assert set(DOCUMENTED_DETAILS) <= set(mapping.STATUS_DETAIL_CAUSE)


def test_every_table_value_is_a_canonical_status_and_causes_only_go_with_exceptions():
    for status, cause in mapping.STATUS.values():
        assert isinstance(status, TrackingStatus)
        assert (cause is not None) == (status == S.EXCEPTION)
    assert all(c is None or isinstance(c, ExceptionCause) for c in mapping.STATUS_DETAIL_CAUSE.values())


def test_an_unknown_status_becomes_unknown_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="tracking.carriers"):
        assert mapping.map_status("teleported", None) == (S.UNKNOWN, None)
    assert "teleported" in caplog.text


def test_a_detail_names_the_cause_of_a_failure_but_never_changes_a_status():
    assert mapping.map_status("failure", "weather_delay") == (S.EXCEPTION, C.WEATHER)
    assert mapping.map_status("failure", "something_new") == (S.EXCEPTION, C.OTHER)
    assert mapping.map_status("in_transit", "weather_delay") == (S.IN_TRANSIT, None)


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty"),
    (b"{not json", "not valid JSON"),
    (b"[]", "must be a JSON object"),
    (b'{"object":"Tracker"}', '"object" must be "Event"'),
    (b'{"object":"Event"}', "Event.description must be a non-empty string"),
    (b'{"object":"Event","description":"tracker.updated","result":{"object":"Batch"}}', "carry a Tracker"),
    (b'{"object":"Event","description":"tracker.updated","result":{"object":"Tracker"}}',
     "result.tracking_code"),
    (b'{"object":"Event","description":"tracker.updated","result":{"object":"Tracker",'
     b'"tracking_code":"1","tracking_details":{}}}', "result.tracking_details must be an array"),
    (b'{"object":"Event","description":"tracker.updated","result":{"object":"Tracker",'
     b'"tracking_code":"1","tracking_details":[7]}}', r"tracking_details\[0\] must be an object"),
])
def test_malformed_bodies_raise_a_readable_payload_error(body, reason):
    with pytest.raises(PayloadError, match=reason):
        adapter.parse(body)


def test_a_detail_without_a_time_is_skipped_not_fatal():
    body = (b'{"object":"Event","description":"tracker.updated","result":{"object":"Tracker",'
            b'"tracking_code":"1","status":"in_transit","tracking_details":[{"status":"in_transit"}]}}')
    [update] = adapter.parse(body)
    assert update.events == [] and update.status == S.IN_TRANSIT
