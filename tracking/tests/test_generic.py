"""Our generic event API: canonical events in, validation errors that name item and field."""

from __future__ import annotations

import json

import pytest

from tracking.carriers import PayloadError
from tracking.carriers.generic import MAX_EVENTS, parser
from tracking.statuses import ExceptionCause, TrackingStatus

EVENT = {"tracking_number": "1Z999AA10123456784", "carrier": "ups", "status": "in_transit",
         "occurred_at": "2024-05-01T09:58:00+02:00"}


def parse(data) -> list:
    return parser.parse(json.dumps(data).encode())


def errors_of(data) -> dict[str, list[str]]:
    with pytest.raises(PayloadError) as caught:
        parse(data)
    return caught.value.details


def test_a_single_event_becomes_one_update_with_one_event():
    [update] = parse({**EVENT, "message": "Arrived at hub", "location": {"city": "Köln", "country": "DE"},
                      "estimated_delivery": "2024-05-03", "event_id": "e-1"})
    [event] = update.events
    assert (update.source, update.carrier, update.estimated_delivery.isoformat()) == (
        "generic", "UPS", "2024-05-03")
    assert (event.status, event.source_code, event.message) == (TrackingStatus.IN_TRANSIT, "in_transit",
                                                                "Arrived at hub")
    assert event.occurred_at.isoformat() == "2024-05-01T09:58:00+02:00"
    assert event.location == {"city": "Köln", "country": "DE"}
    assert event.dedup_key == "generic:1Z999AA10123456784:e-1"


def test_a_batch_is_grouped_by_parcel_and_sorted_oldest_first():
    later = {**EVENT, "status": "out_for_delivery", "occurred_at": "2024-05-02T07:00:00Z"}
    other = {**EVENT, "tracking_number": "1Z2", "status": "delivered"}
    updates = parse([later, EVENT, other])
    assert [(u.tracking_number, [e.status.value for e in u.events]) for u in updates] == [
        ("1Z999AA10123456784", ["in_transit", "out_for_delivery"]), ("1Z2", ["delivered"])]


def test_without_an_event_id_the_key_is_a_stable_content_hash():
    assert parse(EVENT)[0].events[0].dedup_key == parse(EVENT)[0].events[0].dedup_key
    assert parse(EVENT)[0].events[0].dedup_key != parse({**EVENT, "message": "x"})[0].events[0].dedup_key


def test_a_cause_is_kept_only_on_an_exception():
    exception = parse({**EVENT, "status": "exception", "exception_cause": "weather"})[0].events[0]
    moving = parse({**EVENT, "exception_cause": "weather"})[0].events[0]
    assert (exception.exception_cause, moving.exception_cause) == (ExceptionCause.WEATHER, None)


def test_errors_name_the_item_index_and_the_field():
    details = errors_of([EVENT, {**EVENT, "occurred_at": None}, {**EVENT, "status": "lost"}])
    assert details["[1].occurred_at"] == ["This field is required."]
    assert details["[2].status"][0].startswith("Not a valid choice; expected one of: pending, in_transit")


def test_the_message_names_the_first_problem_in_words():
    first_problem = r"1 invalid field\(s\); first: \[0\]\.carrier: This field is required"
    with pytest.raises(PayloadError, match=first_problem):
        parse([{**EVENT, "carrier": " "}])


@pytest.mark.parametrize(("change", "field", "problem"), [
    ({"occurred_at": "2024-05-01T09:58:00"}, "occurred_at", "Include a UTC offset"),
    ({"occurred_at": "last tuesday"}, "occurred_at", "Not an ISO 8601 date-time"),
    ({"occurred_at": 1714636000}, "occurred_at", "Not an ISO 8601 date-time"),
    ({"estimated_delivery": "03/05/2024"}, "estimated_delivery", "YYYY-MM-DD"),
    ({"exception_cause": "gremlins"}, "exception_cause", "Not a valid choice"),
    ({"location": 12}, "location", "string or an object"),
    ({"location": {"street": "Main St"}}, "location", "city, state, country, postal_code"),
    ({"tracking_number": 42}, "tracking_number", "Must be a string"),
    ({"message": "x" * 1001}, "message", "At most 1000 characters"),
    ({"occured_at": "2024-05-01T09:58:00Z"}, "occured_at", "Unknown field"),
])
def test_each_bad_field_is_reported_on_its_own_name(change, field, problem):
    details = errors_of({**EVENT, **change})
    assert problem in details[field][0]


@pytest.mark.parametrize(("data", "reason"), [
    ([], "send at least one event"),
    ([EVENT] * (MAX_EVENTS + 1), "at most 1000 events"),
    ("in_transit", "not a string"),
    ([EVENT, "oops"], None),
])
def test_the_body_shape_is_checked_first(data, reason):
    with pytest.raises(PayloadError) as caught:
        parse(data)
    if reason:
        assert reason in caught.value.message
    else:
        assert "[1].non_field_errors" in caught.value.details


def test_a_body_that_is_not_json_is_refused():
    with pytest.raises(PayloadError, match="not valid JSON"):
        parser.parse(b"tracking_number=1Z")


def test_the_batch_limit_itself_is_accepted():
    assert len(parse([EVENT] * MAX_EVENTS)[0].events) == 1  # identical events are one event
