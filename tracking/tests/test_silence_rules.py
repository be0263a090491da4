"""The pure rules of silence and lateness: business hours, why a shipment is stalled, whether
it is delayed. No database: shipments and settings are plain objects here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tracking.silence import (
    NO_FIRST_SCAN,
    NO_SCAN_IN_TRANSIT,
    NOT_COLLECTED,
    business_hours_between,
    carrier_silence_hours_clean,
    is_delayed,
    stall_reason,
)

# 2026-03-06 is a Friday, 2026-03-09 the Monday after.
FRIDAY_NOON = datetime(2026, 3, 6, 12, tzinfo=UTC)
MONDAY_NOON = datetime(2026, 3, 9, 12, tzinfo=UTC)
WEDNESDAY_NOON = datetime(2026, 3, 11, 12, tzinfo=UTC)
SETTINGS = SimpleNamespace(label_silence_hours=48, transit_silence_hours=72,
                           carrier_silence_hours={"USPS": 96}, pickup_wait_days=5)


def shipment(status="pending", *, created_at=FRIDAY_NOON, last_event_at=None, shipped_at=None,
             carrier="UPS", promised=None, estimated=None):
    return SimpleNamespace(status=status, carrier=carrier, created_at=created_at,
                           last_event_at=last_event_at, shipped_at=shipped_at,
                           promised_delivery=promised, carrier_estimated_delivery=estimated)


# --- business hours -----------------------------------------------------------------------

def test_the_calendar_is_what_we_think_it_is():
    assert (FRIDAY_NOON.weekday(), MONDAY_NOON.weekday()) == (4, 0)


def test_a_weekday_counts_every_hour():
    assert business_hours_between(MONDAY_NOON, MONDAY_NOON + timedelta(hours=30), UTC) == 30


def test_a_weekend_does_not_count():
    assert business_hours_between(FRIDAY_NOON, MONDAY_NOON, UTC) == 24


def test_a_span_inside_a_weekend_is_zero():
    saturday = datetime(2026, 3, 7, 1, tzinfo=UTC)
    assert business_hours_between(saturday, saturday + timedelta(hours=40), UTC) == 0


def test_the_weekend_is_the_tenants_weekend_not_utcs():
    # Friday 20:00 UTC is already Saturday 09:00 in Auckland (UTC+13 in March).
    auckland = ZoneInfo("Pacific/Auckland")
    friday_evening = datetime(2026, 3, 6, 20, tzinfo=UTC)
    assert business_hours_between(friday_evening, friday_evening + timedelta(hours=24), auckland) == 0
    assert business_hours_between(friday_evening, friday_evening + timedelta(hours=24), UTC) == 4


def test_a_daylight_saving_day_has_its_real_length():
    # Israel moves its clocks forward on Friday 2026-03-27: that Friday has 23 hours.
    jerusalem = ZoneInfo("Asia/Jerusalem")
    thursday = datetime(2026, 3, 26, tzinfo=jerusalem)
    saturday = datetime(2026, 3, 28, tzinfo=jerusalem)
    assert business_hours_between(thursday, saturday, jerusalem) == 47


def test_a_whole_week_has_five_business_days():
    assert business_hours_between(MONDAY_NOON, MONDAY_NOON + timedelta(days=7), UTC) == 120


def test_an_end_before_the_start_is_zero_hours():
    assert business_hours_between(MONDAY_NOON, FRIDAY_NOON, UTC) == 0


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        business_hours_between(datetime(2026, 3, 9), datetime(2026, 3, 10), UTC)


# --- stalled -------------------------------------------------------------------------------

def test_a_label_without_a_scan_over_a_weekend_is_not_stalled_yet():
    assert stall_reason(shipment(), SETTINGS, MONDAY_NOON, UTC) is None


def test_a_label_without_a_scan_for_two_working_days_is_stalled():
    assert stall_reason(shipment(), SETTINGS, WEDNESDAY_NOON, UTC) == NO_FIRST_SCAN


def test_repeated_label_events_do_not_reset_the_clock():
    repeated = shipment(last_event_at=WEDNESDAY_NOON - timedelta(hours=1))
    assert stall_reason(repeated, SETTINGS, WEDNESDAY_NOON, UTC) == NO_FIRST_SCAN


def test_a_parcel_quiet_in_transit_past_the_default_is_stalled():
    quiet = shipment("in_transit", last_event_at=FRIDAY_NOON, shipped_at=FRIDAY_NOON)
    just_before = WEDNESDAY_NOON - timedelta(hours=1)  # 71 business hours of silence
    assert stall_reason(quiet, SETTINGS, just_before, UTC) is None
    assert stall_reason(quiet, SETTINGS, WEDNESDAY_NOON, UTC) == NO_SCAN_IN_TRANSIT


def test_a_carrier_override_gives_a_slow_carrier_longer():
    usps = shipment("in_transit", carrier="USPS", last_event_at=FRIDAY_NOON, shipped_at=FRIDAY_NOON)
    assert stall_reason(usps, SETTINGS, WEDNESDAY_NOON + timedelta(hours=1), UTC) is None
    assert stall_reason(usps, SETTINGS, WEDNESDAY_NOON + timedelta(days=1), UTC) == NO_SCAN_IN_TRANSIT


@pytest.mark.parametrize("status", ["out_for_delivery", "attempt_failed", "exception"])
def test_every_live_status_on_the_road_can_stall(status):
    quiet = shipment(status, last_event_at=FRIDAY_NOON, shipped_at=FRIDAY_NOON)
    assert stall_reason(quiet, SETTINGS, WEDNESDAY_NOON + timedelta(days=1), UTC) == NO_SCAN_IN_TRANSIT


def test_a_parcel_not_collected_for_the_set_working_days_is_stalled():
    waiting = shipment("available_for_pickup", last_event_at=MONDAY_NOON, shipped_at=FRIDAY_NOON)
    assert stall_reason(waiting, SETTINGS, MONDAY_NOON + timedelta(days=4), UTC) is None
    assert stall_reason(waiting, SETTINGS, MONDAY_NOON + timedelta(days=7), UTC) == NOT_COLLECTED


@pytest.mark.parametrize("status", ["delivered", "returned_to_sender", "cancelled", "expired"])
def test_a_finished_shipment_is_never_stalled(status):
    old = shipment(status, created_at=FRIDAY_NOON - timedelta(days=90))
    assert stall_reason(old, SETTINGS, WEDNESDAY_NOON, UTC) is None


# --- delayed -------------------------------------------------------------------------------

def test_a_promised_date_in_the_past_makes_it_delayed():
    assert is_delayed(shipment("in_transit", promised=date(2026, 3, 8)), date(2026, 3, 9))


def test_the_promised_date_itself_is_not_late_yet():
    assert not is_delayed(shipment("in_transit", promised=date(2026, 3, 9)), date(2026, 3, 9))


def test_the_carrier_estimate_counts_when_nothing_was_promised():
    assert is_delayed(shipment("in_transit", estimated=date(2026, 3, 8)), date(2026, 3, 9))


def test_the_promise_wins_over_a_later_carrier_estimate():
    late = shipment("in_transit", promised=date(2026, 3, 8), estimated=date(2026, 3, 12))
    assert is_delayed(late, date(2026, 3, 9))


def test_a_shipment_without_any_date_is_never_delayed():
    assert not is_delayed(shipment("in_transit"), date(2030, 1, 1))


@pytest.mark.parametrize("status", ["delivered", "returned_to_sender", "cancelled", "expired"])
def test_a_delivered_shipment_is_never_delayed(status):
    assert not is_delayed(shipment(status, promised=date(2026, 3, 1)), date(2026, 3, 9))


# --- carrier overrides ----------------------------------------------------------------------

def test_carrier_names_become_the_codes_shipments_carry():
    assert carrier_silence_hours_clean({"usps": 96, "DHL Express": 48}) == {"USPS": 96, "DHL": 48}


@pytest.mark.parametrize("value", [{"": 5}, {"USPS": 0}, {"USPS": 721}, {"USPS": True},
                                   {"USPS": "96"}, {"usps": 5, "USPS": 6}, ["USPS"]])
def test_bad_carrier_overrides_are_refused(value):
    with pytest.raises(ValueError):
        carrier_silence_hours_clean(value)
