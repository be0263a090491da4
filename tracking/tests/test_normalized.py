"""What holds for every source: the registry, stable de-duplication keys, carrier codes and
times that are always timezone-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracking.carriers import ADAPTERS, UnknownSource, get_adapter
from tracking.carriers.parsing import carrier_code, content_dedup_key, parse_date, parse_timestamp
from tracking.tests.support import fixture_bytes, fixture_names

PAYLOADS = [(source, name) for source in ADAPTERS for name in fixture_names(source)]


def test_the_registry_holds_the_three_webhook_sources():
    assert set(ADAPTERS) == {"easypost", "aftership", "shippo"}
    assert all(get_adapter(name).name == name for name in ADAPTERS)


def test_an_unknown_source_is_refused_by_name():
    with pytest.raises(UnknownSource, match="'fedex'.*known: easypost, aftership, shippo"):
        get_adapter("fedex")


def test_the_generic_api_is_not_reachable_as_a_webhook():
    with pytest.raises(UnknownSource):
        get_adapter("generic")


@pytest.mark.parametrize(("source", "name"), PAYLOADS)
def test_dedup_keys_are_stable_across_two_parses_and_distinct_between_events(source, name):
    adapter = get_adapter(source)
    first = [e.dedup_key for u in adapter.parse(fixture_bytes(source, name)) for e in u.events]
    second = [e.dedup_key for u in adapter.parse(fixture_bytes(source, name)) for e in u.events]
    assert first == second
    assert len(set(first)) == len(first)


@pytest.mark.parametrize(("source", "name"), PAYLOADS)
def test_every_event_time_is_timezone_aware(source, name):
    for update in get_adapter(source).parse(fixture_bytes(source, name)):
        assert all(e.occurred_at.utcoffset() is not None for e in update.events)


def test_the_content_key_ignores_how_the_time_is_written_but_not_what_happened():
    when = datetime(2024, 5, 2, 17, 55, tzinfo=UTC)
    same_instant = datetime.fromisoformat("2024-05-02T13:55:00-04:00")
    key = content_dedup_key("EZ4", when, "delivered", "arrived_at_destination", "Delivered")
    assert key == content_dedup_key("EZ4", same_instant, "delivered", "arrived_at_destination", "Delivered")
    assert key != content_dedup_key("EZ4", when, "delivered", None, "Delivered")
    assert key != content_dedup_key("EZ5", when, "delivered", "arrived_at_destination", "Delivered")
    assert key.startswith("sha256:") and len(key) == 71


def test_repeated_events_in_one_body_become_one():
    body = (b'{"object":"Event","description":"tracker.updated","result":{"object":"Tracker",'
            b'"tracking_code":"1","tracking_details":['
            b'{"status":"in_transit","datetime":"2024-05-01T10:00:00Z","message":"Arrived"},'
            b'{"status":"in_transit","datetime":"2024-05-01T10:00:00.000Z","message":"Arrived"}]}}')
    [update] = get_adapter("easypost").parse(body)
    assert len(update.events) == 1


@pytest.mark.parametrize(("raw", "code"), [
    ("FedEx", "FEDEX"), ("fedex", "FEDEX"), ("USPS", "USPS"), ("dhl_express", "DHL"),
    ("DHLExpress", "DHL"), ("royal-mail", "ROYAL_MAIL"), ("china-post", "CHINA_POST"), (None, ""),
])
def test_carriers_get_one_code_whatever_the_source_calls_them(raw, code):
    assert carrier_code(raw) == code


def test_times_without_an_offset_are_read_as_utc_and_junk_is_none():
    assert parse_timestamp("2024-05-02T07:45:00") == datetime(2024, 5, 2, 7, 45, tzinfo=UTC)
    assert parse_timestamp("2024-08-02T19:26:52.000Z") == datetime(2024, 8, 2, 19, 26, 52, tzinfo=UTC)
    assert parse_timestamp("yesterday") is None
    assert parse_timestamp(1714636000) is None


def test_estimated_dates_keep_the_carriers_calendar_day():
    assert parse_date("2024-08-05T00:00:00Z") == date(2024, 8, 5)
    assert parse_date("2024-08-05T23:30:00-07:00") == date(2024, 8, 5)
    assert parse_date("soon") is None
