"""Quiet hours: a local window in the recipient's time zone when nothing is sent; a send that
falls inside waits for the window's end. Windows may wrap midnight (21:00–08:00) or not
(12:00–14:00). All arithmetic is on local wall-clock dates, then converted with zoneinfo, so a
DST night is neither an hour too short nor too long."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# What SMS rules get unless the retailer says otherwise (the journey editor and API use it too).
SMS_DEFAULT_QUIET_HOURS: tuple[time, time] = (time(21, 0), time(8, 0))


def recipient_timezone(customer_timezone: str | None, tenant_timezone: str | None) -> tzinfo:
    """The shopper's IANA zone, else the store's, else UTC; an unknown name is skipped."""
    for name in (customer_timezone, tenant_timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def quiet_hours_release(when: datetime, zone: tzinfo, start: time | None,
                        end: time | None) -> datetime:
    """`when` itself if it is outside the window [start, end), else the window's end (aware,
    in UTC). No window when either bound is missing or they are equal."""
    if start is None or end is None or start == end:
        return when
    local = when.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:  # a window inside one day
        if not start <= clock < end:
            return when
        release_date = local.date()
    else:  # wraps midnight: the evening part ends tomorrow, the morning part today
        if end <= clock < start:
            return when
        release_date = local.date() + timedelta(days=1) if clock >= start else local.date()
    # Wall-clock end on that date. If it falls in a spring-forward gap (a 02:30 that never
    # happens), zoneinfo reads it with the offset from before the jump (PEP 495, fold=0):
    # 03:30 summer time, later than the window's end, never earlier.
    release = datetime.combine(release_date, end, tzinfo=zone)
    return release.astimezone(UTC)
