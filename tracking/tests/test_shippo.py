"""Shippo: one line per recorded payload, the status/substatus tables, and malformed bodies."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from tracking.carriers import PayloadError, get_adapter
from tracking.carriers.shippo import mapping
from tracking.statuses import ExceptionCause, TrackingStatus
from tracking.tests.support import at, fixture_bytes, fixture_names, summary

S, C = TrackingStatus, ExceptionCause
adapter = get_adapter("shippo")

# fixture → (tracking number, carrier, summary status, estimated delivery, events)
EXPECTED = {
    "track_updated_transit.json": ("9205590164917312751089", "USPS", S.IN_TRANSIT, date(2024, 5, 3), [
        (S.PENDING, "PRE_TRANSIT", "information_received", at("2024-04-30T09:00:00Z"), None),
        (S.IN_TRANSIT, "TRANSIT", None, at("2024-05-01T09:58:00Z"), None)]),
    "track_updated_hmac_vector.json": ("SHIPPO_DELIVERED", "SHIPPO", S.DELIVERED, None, [
        (S.DELIVERED, "DELIVERED", None, at("2024-05-02T18:01:00Z"), None)]),
    "track_updated_out_for_delivery.json": (
        "1Z999AA10123456784", "UPS", S.OUT_FOR_DELIVERY, date(2024, 5, 2), [
        (S.PENDING, "PRE_TRANSIT", "information_received", at("2024-04-30T11:50:00Z"), None),
        (S.IN_TRANSIT, "TRANSIT", None, at("2024-05-01T02:41:00Z"), None),
        (S.OUT_FOR_DELIVERY, "TRANSIT", "out_for_delivery", at("2024-05-02T07:58:00Z"), None)]),
    "track_updated_returned.json": ("SHIPPO_RETURNED", "SHIPPO", S.RETURNED_TO_SENDER, None, [
        (S.EXCEPTION, "FAILURE", None, at("2024-05-03T09:00:00Z"), C.OTHER),
        (S.RETURNED_TO_SENDER, "RETURNED", None, at("2024-05-05T09:30:00Z"), None)]),
}
IGNORED = {"transaction_created_ignored.json"}


def test_every_recorded_payload_has_an_expectation():
    assert set(fixture_names("shippo")) == set(EXPECTED) | IGNORED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_payload_normalises_to_expected_events(name):
    tracking_number, carrier, status, estimated, events = EXPECTED[name]
    [update] = adapter.parse(fixture_bytes("shippo", name))
    assert (update.source, update.tracking_number, update.carrier) == ("shippo", tracking_number, carrier)
    assert (update.status, update.estimated_delivery) == (status, estimated)
    assert summary(update) == events


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_label_events_are_ignored(name):
    assert adapter.parse(fixture_bytes("shippo", name)) == []


def test_the_current_status_repeating_the_last_history_entry_is_one_event():
    [update] = adapter.parse(fixture_bytes("shippo", "track_updated_out_for_delivery.json"))
    assert [e.dedup_key for e in update.events] == ["shippo:ts_ofd_1", "shippo:ts_ofd_2", "shippo:ts_ofd_3"]
    assert (update.service, update.order_reference) == ("Ground", "Order #1003")


def test_test_mode_deliveries_are_flagged():
    [update] = adapter.parse(fixture_bytes("shippo", "track_updated_hmac_vector.json"))
    assert update.test_mode is True


DOCUMENTED_STATUSES = ["UNKNOWN", "PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE"]
DOCUMENTED_SUBSTATUSES = ["information_received"]


def test_the_tables_cover_every_documented_code():
    assert set(DOCUMENTED_STATUSES) == set(mapping.STATUS)
    assert set(DOCUMENTED_SUBSTATUSES) <= set(mapping.SUBSTATUS)


def test_every_table_value_is_a_canonical_status_and_causes_only_go_with_exceptions():
    for status, cause in [*mapping.STATUS.values(), *mapping.SUBSTATUS.values()]:
        assert isinstance(status, TrackingStatus)
        assert (cause is not None) == (status == S.EXCEPTION)


def test_a_substatus_refines_transit_but_never_undoes_a_final_status():
    assert mapping.map_status("TRANSIT", "delivery_attempted") == (S.ATTEMPT_FAILED, None)
    assert mapping.map_status("DELIVERED", "delivery_attempted") == (S.DELIVERED, None)
    assert mapping.map_status("TRANSIT", "brand_new_code") == (S.IN_TRANSIT, None)


def test_an_unknown_status_becomes_unknown_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="tracking.carriers"):
        assert mapping.map_status("LOST_IN_SPACE", None) == (S.UNKNOWN, None)
    assert "LOST_IN_SPACE" in caplog.text


def test_a_status_without_a_date_is_not_an_event_but_still_the_summary():
    body = (b'{"event":"track_updated","data":{"carrier":"usps","tracking_number":"92055",'
            b'"tracking_status":{"status":"UNKNOWN","status_date":null},"tracking_history":[]}}')
    [update] = adapter.parse(body)
    assert update.events == [] and update.status == S.UNKNOWN


@pytest.mark.parametrize(("body", "reason"), [
    (b"   ", "empty"),
    (b'{"event":7}', "body.event must be a non-empty string, got a number"),
    (b'{"event":"track_updated","data":[]}', "body.data must be an object, got an array"),
    (b'{"event":"track_updated","data":{"carrier":"usps"}}', "data.tracking_number"),
    (b'{"event":"track_updated","data":{"tracking_number":"1","tracking_history":["x"]}}',
     r"data.tracking_history\[0\] must be an object"),
    (b'{"event":"track_updated","data":{"tracking_number":"1","tracking_status":"DELIVERED"}}',
     "data.tracking_status must be an object"),
])
def test_malformed_bodies_raise_a_readable_payload_error(body, reason):
    with pytest.raises(PayloadError, match=reason):
        adapter.parse(body)
