"""Quiet hours wait in the shopper's own time zone, and a DST night is as long as it is."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from messaging.journeys import (
    SMS_DEFAULT_QUIET_HOURS,
    messages_plan,
    quiet_hours_release,
    recipient_timezone,
)
from tenants.context import tenant_scope

from .journeys_support import make_customer, make_order, make_rule, make_shipment, without_default_journey

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = SMS_DEFAULT_QUIET_HOURS  # 21:00–08:00


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_a_send_at_half_past_nine_in_berlin_waits_until_eight_the_next_morning():
    assert quiet_hours_release(berlin(2025, 6, 3, 21, 30), BERLIN, *NIGHT) == berlin(2025, 6, 4, 8)


def test_a_send_before_eight_in_the_morning_waits_until_eight_the_same_day():
    assert quiet_hours_release(berlin(2025, 6, 4, 6, 15), BERLIN, *NIGHT) == berlin(2025, 6, 4, 8)


@pytest.mark.parametrize("clock", [(8, 0), (12, 0), (20, 59)])
def test_a_send_outside_the_window_goes_at_once(clock):
    when = berlin(2025, 6, 3, *clock)
    assert quiet_hours_release(when, BERLIN, *NIGHT) == when


def test_the_spring_forward_night_is_an_hour_shorter():
    # 30 March 2025: clocks jump from 02:00 to 03:00. 22:00 CET is 21:00 UTC; 08:00 CEST is
    # 06:00 UTC, nine hours later, not ten.
    released = quiet_hours_release(berlin(2025, 3, 29, 22), BERLIN, *NIGHT)
    assert released == datetime(2025, 3, 30, 6, tzinfo=UTC)
    assert released.astimezone(BERLIN).hour == 8


def test_the_fall_back_night_is_an_hour_longer():
    # 26 October 2025: clocks go back from 03:00 to 02:00. 08:00 CET is 07:00 UTC.
    released = quiet_hours_release(berlin(2025, 10, 25, 22), BERLIN, *NIGHT)
    assert released == datetime(2025, 10, 26, 7, tzinfo=UTC)


def test_a_window_ending_inside_the_spring_gap_releases_after_the_gap():
    released = quiet_hours_release(berlin(2025, 3, 30, 1, 0), BERLIN, time(0, 0), time(2, 30))
    assert released.astimezone(BERLIN) >= berlin(2025, 3, 30, 3, 0)
    assert released.astimezone(BERLIN).hour == 3


def test_a_window_inside_one_day_holds_only_within_it():
    lunch = (time(12, 0), time(14, 0))
    assert quiet_hours_release(berlin(2025, 6, 3, 12, 30), BERLIN, *lunch) == berlin(2025, 6, 3, 14)
    assert quiet_hours_release(berlin(2025, 6, 3, 14, 0), BERLIN, *lunch) == berlin(2025, 6, 3, 14)


def test_no_window_when_a_bound_is_missing():
    when = berlin(2025, 6, 3, 23)
    assert quiet_hours_release(when, BERLIN, None, None) == when


def test_the_shoppers_time_zone_wins_over_the_stores_and_a_bad_name_is_skipped():
    assert recipient_timezone("America/New_York", "Europe/Berlin") == ZoneInfo("America/New_York")
    assert recipient_timezone("", "Europe/Berlin") == BERLIN
    assert recipient_timezone("Mars/Olympus", "Europe/Berlin") == BERLIN
    assert recipient_timezone(None, None) == UTC


@pytest.mark.django_db
def test_an_sms_planned_at_half_past_nine_in_the_stores_time_zone_is_due_at_eight(personas):
    store = personas.tenant_a
    without_default_journey(store)
    store.timezone = "Europe/Berlin"
    store.save(update_fields=["timezone"])
    make_rule(store, "out_for_delivery", "sms", quiet_hours_start=time(21), quiet_hours_end=time(8))
    make_rule(store, "out_for_delivery", "email")
    parcel = make_shipment(store, make_order(store, make_customer(store)))
    evening = berlin(2025, 6, 3, 21, 30)

    with tenant_scope(store):
        sms, email = messages_plan(store, milestone="out_for_delivery", shipment=parcel,
                                   occurred_at=evening, now=evening)

    assert sms.due_at == berlin(2025, 6, 4, 8)
    assert email.due_at == evening


@pytest.mark.django_db
def test_quiet_hours_follow_the_shoppers_own_time_zone(personas):
    store = personas.tenant_a
    without_default_journey(store)
    store.timezone = "Europe/Berlin"
    store.save(update_fields=["timezone"])
    make_rule(store, "delivered", "sms", quiet_hours_start=time(21), quiet_hours_end=time(8))
    shopper = make_customer(store, timezone="America/New_York")
    parcel = make_shipment(store, make_order(store, shopper))
    # 21:30 in Berlin is 15:30 in New York: not night for this shopper.
    evening = berlin(2025, 6, 3, 21, 30)

    with tenant_scope(store):
        [sms] = messages_plan(store, milestone="delivered", shipment=parcel, occurred_at=evening,
                              now=evening)

    assert sms.due_at == evening
