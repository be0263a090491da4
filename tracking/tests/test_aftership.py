"""AfterShip: one line per recorded payload, the tag/subtag tables, and malformed bodies."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from tracking.carriers import PayloadError, get_adapter
from tracking.carriers.aftership import mapping
from tracking.statuses import ExceptionCause, TrackingStatus
from tracking.tests.support import at, fixture_bytes, fixture_names, summary

S, C = TrackingStatus, ExceptionCause
adapter = get_adapter("aftership")

OUT_FOR_DELIVERY = [(S.OUT_FOR_DELIVERY, "OutForDelivery", "OutForDelivery_001",
                     at("2024-05-02T07:45:00Z"), None)]  # checkpoint_time has no offset: read as UTC

# fixture → (tracking number, carrier, summary status, estimated delivery, events)
EXPECTED = {
    "tracking_update_signed_vector.json": (
        "9400111899223456789012", "USPS", S.OUT_FOR_DELIVERY, None, OUT_FOR_DELIVERY),
    "tracking_update_out_for_delivery.json": (
        "9400111899223456789012", "USPS", S.OUT_FOR_DELIVERY, date(2024, 5, 2), OUT_FOR_DELIVERY),
    "tracking_update_returned_to_sender.json": ("1Z999AA10123456784", "UPS", S.RETURNED_TO_SENDER, None, [
        (S.IN_TRANSIT, "InTransit", "InTransit_001", at("2024-04-29T18:05:00-04:00"), None),
        (S.RETURNED_TO_SENDER, "Exception", "Exception_010", at("2024-05-01T11:30:00-04:00"), None),
        (S.RETURNED_TO_SENDER, "Exception", "Exception_011", at("2024-05-06T09:12:00-04:00"), None)]),
    "tracking_update_2026_07.json": ("00340434161094042557", "DHL", S.DELIVERED, date(2026, 7, 8), [
        (S.IN_TRANSIT, "InTransit", "InTransit_001", at("2026-07-07T19:40:00+02:00"), None),
        (S.DELIVERED, "Delivered", "Delivered_005", at("2026-07-08T12:03:00+02:00"), None)]),
    "tracking_update_expired.json": ("LX123456789CN", "CHINA_POST", S.EXPIRED, None, []),
    "edd_revise.json": ("9400111899223456789012", "USPS", S.IN_TRANSIT, date(2024, 5, 4), [
        (S.IN_TRANSIT, "InTransit", "InTransit_001", at("2024-05-01T20:15:00Z"), None)]),
}
IGNORED = {"tracking_pending_time_ignored.json"}


def test_every_recorded_payload_has_an_expectation():
    assert set(fixture_names("aftership")) == set(EXPECTED) | IGNORED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_payload_normalises_to_expected_events(name):
    tracking_number, carrier, status, estimated, events = EXPECTED[name]
    [update] = adapter.parse(fixture_bytes("aftership", name))
    assert (update.source, update.tracking_number, update.carrier) == ("aftership", tracking_number, carrier)
    assert (update.status, update.estimated_delivery) == (status, estimated)
    assert summary(update) == events


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_kinds_we_do_not_process_are_ignored(name):
    assert adapter.parse(fixture_bytes("aftership", name)) == []


def test_versioned_field_names_and_checkpoint_hashes_are_read():
    [update] = adapter.parse(fixture_bytes("aftership", "tracking_update_2026_07.json"))
    delivered = update.events[-1]
    assert delivered.location == {"city": "Berlin", "postal_code": "10115", "country": "DEU"}
    assert delivered.dedup_key == "aftership:9a3e5b7c2d4f6e80"
    assert update.order_reference == "#2040"


def test_the_envelope_id_identifies_the_delivery():
    [update] = adapter.parse(fixture_bytes("aftership", "tracking_update_signed_vector.json"))
    assert update.provider_event_id == "94dadd60-ed26-46d0-aa52-3ced925a50ff"
    assert update.provider_object_id == "b2f8b1e3c4d54b0f9a1c2d3e4f506172"


# The codes wire-formats.md §1.2 lists (Exception_001…Exception_021 as a range).
DOCUMENTED_TAGS = ["Pending", "InfoReceived", "InTransit", "OutForDelivery", "AttemptFail", "Delivered",
                   "AvailableForPickup", "Exception", "Expired"]
DOCUMENTED_SUBTAGS = ["InTransit_001", "OutForDelivery_001", "Delivered_001", "Delivered_002",
                      "Delivered_005", "AvailableForPickup_001",
                      *(f"Exception_{n:03d}" for n in range(1, 22))]


def test_the_tables_cover_every_documented_code():
    assert set(DOCUMENTED_TAGS) == set(mapping.TAG)
    assert set(DOCUMENTED_SUBTAGS) <= set(mapping.SUBTAG)


def test_every_table_value_is_a_canonical_status_and_causes_only_go_with_exceptions():
    for status, cause in [*mapping.TAG.values(), *mapping.SUBTAG.values()]:
        assert isinstance(status, TrackingStatus)
        assert (cause is not None) == (status == S.EXCEPTION)
        assert cause is None or isinstance(cause, ExceptionCause)


def test_every_subtag_belongs_to_a_known_tag():
    assert {subtag.partition("_")[0] for subtag in mapping.SUBTAG} <= set(mapping.TAG)


@pytest.mark.parametrize(("tag", "subtag", "expected"), [
    ("Exception", "Exception_011", (S.RETURNED_TO_SENDER, None)),
    ("Exception", "Exception_020", (S.CANCELLED, None)),
    ("Exception", "Exception_004", (S.EXCEPTION, C.CUSTOMS)),
    ("Exception", "Exception_017", (S.EXCEPTION, C.WEATHER)),
    ("InTransit", "InTransit_009", (S.IN_TRANSIT, None)),  # a new subtag falls back to its tag
    (None, "AttemptFail_002", (S.ATTEMPT_FAILED, None)),  # no tag: the subtag's prefix
    ("Expired", None, (S.EXPIRED, None)),
])
def test_the_subtag_decides_and_the_tag_is_the_fallback(tag, subtag, expected):
    assert mapping.map_status(tag, subtag) == expected


def test_an_unknown_tag_becomes_unknown_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="tracking.carriers"):
        assert mapping.map_status("Teleported", "Teleported_001") == (S.UNKNOWN, None)
    assert "Teleported" in caplog.text


@pytest.mark.parametrize(("body", "reason"), [
    (b"{\"event\": \"\xff\"}", "not UTF-8"),
    (b'"tracking_update"', "must be a JSON object"),
    (b'{"msg":{}}', "body.event must be a non-empty string"),
    (b'{"event":"tracking_update"}', "body.msg must be an object"),
    (b'{"event":"tracking_update","msg":{"slug":"usps"}}', "msg.tracking_number"),
    (b'{"event":"tracking_update","msg":{"tracking_number":"1","checkpoints":"none"}}',
     "msg.checkpoints must be an array"),
    (b'{"event":"tracking_update","msg":{"tracking_number":"1","checkpoints":[null]}}',
     r"msg.checkpoints\[0\] must be an object"),
])
def test_malformed_bodies_raise_a_readable_payload_error(body, reason):
    with pytest.raises(PayloadError, match=reason):
        adapter.parse(body)
