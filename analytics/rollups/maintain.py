"""Keeping the rollups up to date, one tenant at a time (in its scope, as every task runs).

    rollups_update(tenant)                       the periodic task's work
        for each source of changes: rows past its cursor → the local days they touch
        rollups_recompute(tenant, those days)    DELETE + INSERT … SELECT per table
        cursors moved past what was read
    rollups_rebuild(tenant, first, last)         the command's: every day of a range

A day is always recomputed whole from raw rows, never patched by deltas: a late open, a
duplicate callback or a rating changed later give the same row as a rebuild would, which is
what the reconciliation (rollups/reconcile.py) checks.

Cursors on ids are moved only past rows older than SETTLE: a row whose transaction commits
later than a row with a higher id is still read on a later run (rereading is harmless, a day
is recomputed whole). Sources without an id order (page views, ratings changed later) are
read by time, with the same margin.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from config import db
from messaging.models import HOLDOUT_REASON
from tenants.models import Tenant

from ..cache import figures_forget
from ..models import RollupCursor
from .sources import (
    ATTRIBUTION,
    DELIVERY_MILESTONES,
    EXCEPTIONS,
    HOLDOUTS,
    MESSAGES,
    PAGE_VIEWS,
    RATINGS,
    RECOMMENDATIONS,
    REFUNDS,
    REPEAT_WINDOWS,
    REPEATS,
    RETURNS,
    ROLLUPS,
    SALES,
    SHIPMENTS,
    TRANSIT,
    Rollup,
)

SETTLE = timedelta(minutes=5)
# A rating can be changed this long after it was given (tracking.models.DeliveryFeedback).
RATING_EDIT_WINDOW = timedelta(days=15)
# Namespace of the advisory lock that keeps two runs for one tenant apart.
LOCK_NAMESPACE = 7007
EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


def day_bounds(tenant: Tenant, days: Iterable[date]) -> tuple[datetime, datetime]:
    """The instants where the first day starts and the day after the last starts, locally."""
    zone = ZoneInfo(tenant.timezone)
    ordered = sorted(days)
    return (datetime.combine(ordered[0], time.min, zone),
            datetime.combine(ordered[-1] + timedelta(days=1), time.min, zone))


def params(tenant: Tenant, days: Iterable[date]) -> dict[str, Any]:
    days = sorted(set(days))
    lo, hi = day_bounds(tenant, days)
    return {"tenant": tenant.pk, "tz": tenant.timezone, "days": days, "lo": lo, "hi": hi,
            "milestones": DELIVERY_MILESTONES, "holdout_reason": HOLDOUT_REASON}


def _columns(rollup: Rollup) -> str:
    return ", ".join(("tenant_id", "day", *rollup.keys, *rollup.values))


def rollup_recompute(tenant: Tenant, rollup: Rollup, days: Iterable[date]) -> None:
    """Replace the table's rows of these days with what the raw rows say now."""
    days = sorted(set(days))
    if not days:
        return
    bound = params(tenant, days)
    db.execute(f"DELETE FROM {rollup.table} WHERE tenant_id = %(tenant)s "  # noqa: S608
               "AND day = ANY(%(days)s::date[])", bound)
    if rollup.rows is not None:
        names = ("day", *rollup.keys, *rollup.values)
        db.rows_insert(rollup.model, tenant.pk, [
            rollup.model(tenant=tenant, **dict(zip(names, row, strict=True)))
            for row in rollup.rows(tenant, days, bound["lo"], bound["hi"])])
        return
    db.execute(f"INSERT INTO {rollup.table} ({_columns(rollup)}) "  # noqa: S608
               f"SELECT %(tenant)s, q.* FROM ({rollup.select}) q", bound)


def _lock(tenant: Tenant) -> None:
    db.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, tenant.pk])


def rollups_rebuild(tenant: Tenant, first: date, last: date,
                    rollups: Iterable[Rollup] = ROLLUPS) -> int:
    """Every table's rows of every day from `first` to `last`, from raw rows; the number of
    days. A month at a time, so a year is twelve short statements per table."""
    count = 0
    day = first
    while day <= last:
        chunk = [day + timedelta(days=n) for n in range(31) if day + timedelta(days=n) <= last]
        with transaction.atomic():
            _lock(tenant)
            for rollup in rollups:
                rollup_recompute(tenant, rollup, chunk)
            figures_forget(tenant.pk)
        count += len(chunk)
        day = chunk[-1] + timedelta(days=1)
    return count


def _cursor(tenant: Tenant, source: str) -> RollupCursor:
    cursor, _ = RollupCursor.objects.get_or_create(tenant=tenant, source=source)
    return cursor


def _by_id(tenant: Tenant, source: str, sql: str) -> set[date]:
    """Days touched by rows of an id-ordered source past its cursor. `sql` returns (id,
    created_at, day) per new row; the cursor moves past the settled ones."""
    cursor = _cursor(tenant, source)
    rows = db.execute(sql, {"tenant": tenant.pk, "tz": tenant.timezone, "after": cursor.last_id,
                            "milestones": DELIVERY_MILESTONES})
    settled_before = timezone.now() - SETTLE  # the writers' clock, whatever `now` says
    settled = [row_id for row_id, created_at, _ in rows if created_at < settled_before]
    if settled and max(settled) > cursor.last_id:
        cursor.last_id = max(settled)
        cursor.save(update_fields=["last_id", "updated_at"])
    return {day for _, _, day in rows if day is not None}


# New message events (every change of a message writes one: the dispatcher's "sent", every
# callback, open and click) → the days their messages were sent.
_MESSAGE_CHANGES = """
    SELECT ev.id, ev.created_at, (m.sent_at AT TIME ZONE %(tz)s)::date
    FROM messaging_messageevent ev
    LEFT JOIN messaging_message m ON m.id = ev.message_id AND m.tenant_id = %(tenant)s
    WHERE ev.tenant_id = %(tenant)s AND ev.id > %(after)s"""

_MILESTONE_CHANGES = """
    SELECT sm.id, sm.created_at, (sm.occurred_at AT TIME ZONE %(tz)s)::date
    FROM tracking_shipmentmilestone sm
    WHERE sm.tenant_id = %(tenant)s AND sm.id > %(after)s
      AND sm.milestone = ANY(%(milestones)s::text[])"""

# A new order may make its shopper a repeat buyer of deliveries in the 90 days before it.
_ORDER_CHANGES = f"""
    SELECT o.id, o.created_at, d.day
    FROM orders_order o
    LEFT JOIN LATERAL (
        SELECT DISTINCT (sm.occurred_at AT TIME ZONE %(tz)s)::date AS day
        FROM orders_order prior
        JOIN tracking_shipment s ON s.order_id = prior.id AND s.tenant_id = %(tenant)s
        JOIN tracking_shipmentmilestone sm ON sm.shipment_id = s.id
             AND sm.tenant_id = %(tenant)s AND sm.milestone = 'delivered'
        WHERE prior.tenant_id = %(tenant)s AND prior.customer_id = o.customer_id
          AND prior.id <> o.id AND sm.occurred_at < o.placed_at
          AND sm.occurred_at >= o.placed_at - interval '{max(REPEAT_WINDOWS)} days'
    ) d ON true
    WHERE o.tenant_id = %(tenant)s AND o.id > %(after)s"""  # noqa: S608


# New orders → the days they were placed (sales, attributed revenue).
_ORDERS_PLACED = """
    SELECT o.id, o.created_at, (o.placed_at AT TIME ZONE %(tz)s)::date
    FROM orders_order o WHERE o.tenant_id = %(tenant)s AND o.id > %(after)s"""

# Every change of a return writes a ReturnEvent → the days it was requested and settled.
_RETURN_CHANGES = """
    SELECT ev.id, ev.occurred_at, (d.at AT TIME ZONE %(tz)s)::date
    FROM returns_returnevent ev
    JOIN returns_returnrequest rr ON rr.id = ev.request_id AND rr.tenant_id = %(tenant)s
    CROSS JOIN LATERAL (VALUES (rr.created_at), (rr.settled_at)) AS d(at)
    WHERE ev.tenant_id = %(tenant)s AND ev.id > %(after)s"""

_SHOWN_CHANGES = """
    SELECT s.id, s.shown_at, (s.shown_at AT TIME ZONE %(tz)s)::date
    FROM recommendations_recommendationshown s
    WHERE s.tenant_id = %(tenant)s AND s.id > %(after)s"""

_CLICK_CHANGES = """
    SELECT c.id, c.clicked_at, (c.clicked_at AT TIME ZONE %(tz)s)::date
    FROM recommendations_recommendationclick c
    WHERE c.tenant_id = %(tenant)s AND c.id > %(after)s"""


# New messages (a held-out one has no event) → the days they were planned.
_MESSAGES_PLANNED = """
    SELECT m.id, m.created_at, (m.created_at AT TIME ZONE %(tz)s)::date
    FROM messaging_message m WHERE m.tenant_id = %(tenant)s AND m.id > %(after)s"""

# New events (a send among them) → the days their messages were planned.
_EVENT_PLANNED_DAYS = """
    SELECT ev.id, ev.created_at, (m.created_at AT TIME ZONE %(tz)s)::date
    FROM messaging_messageevent ev
    JOIN messaging_message m ON m.id = ev.message_id AND m.tenant_id = %(tenant)s
    WHERE ev.tenant_id = %(tenant)s AND ev.id > %(after)s"""

# A new order may be a repeat purchase of shoppers messaged in the 30 days before it.
_HOLDOUT_ORDER_CHANGES = """
    SELECT o.id, o.created_at, (m.created_at AT TIME ZONE %(tz)s)::date
    FROM orders_order o
    JOIN orders_order prior ON prior.tenant_id = %(tenant)s AND prior.customer_id = o.customer_id
    JOIN messaging_message m ON m.tenant_id = %(tenant)s AND m.order_id = prior.id
         AND m.created_at < o.placed_at AND m.created_at >= o.placed_at - interval '30 days'
    WHERE o.tenant_id = %(tenant)s AND o.id > %(after)s"""


def _ratings_changed(tenant: Tenant, now: datetime) -> set[date]:
    """Days of ratings given or changed since the last run (a change keeps the first day)."""
    cursor = _cursor(tenant, "ratings")
    # The first run reads every rating; later ones those changed since (edits happen within
    # the edit window after the rating was given, which bounds the index range).
    since = cursor.last_at - SETTLE if cursor.last_at else EPOCH
    edits_from = since - RATING_EDIT_WINDOW if cursor.last_at else EPOCH
    rows = db.execute(
        "SELECT DISTINCT (f.created_at AT TIME ZONE %(tz)s)::date "
        "FROM tracking_deliveryfeedback f WHERE f.tenant_id = %(tenant)s "
        "AND f.created_at >= %(edits_from)s AND f.updated_at >= %(since)s",
        {"tenant": tenant.pk, "tz": tenant.timezone, "since": since, "edits_from": edits_from})
    cursor.last_at = now
    cursor.save(update_fields=["last_at", "updated_at"])
    return {day for (day,) in rows}


def rollups_update(tenant: Tenant, *, now: datetime | None = None) -> dict[str, int]:
    """Bring this tenant's rollups up to date from what changed since the last run; the
    number of days recomputed per table. `now`: the clock (tests replay days with it)."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock(tenant)
        message_days = _by_id(tenant, "message_events", _MESSAGE_CHANGES)
        delivery_days = _by_id(tenant, "milestones", _MILESTONE_CHANGES)
        repeat_days = _by_id(tenant, "orders", _ORDER_CHANGES) | delivery_days
        rating_days = _ratings_changed(tenant, now)
        placed_days = _by_id(tenant, "orders_placed", _ORDERS_PLACED)
        return_days = _by_id(tenant, "returns", _RETURN_CHANGES)
        holdout_days = (_by_id(tenant, "holdout_events", _EVENT_PLANNED_DAYS)
                        | _by_id(tenant, "messages", _MESSAGES_PLANNED)
                        | _by_id(tenant, "holdout_orders", _HOLDOUT_ORDER_CHANGES))
        recommendation_days = (placed_days | _by_id(tenant, "recs_shown", _SHOWN_CHANGES)
                               | _by_id(tenant, "recs_clicked", _CLICK_CHANGES))
        # Tracking adds views to today's (UTC) row, and yesterday's until its last flush.
        today = now.date()
        view_days = {today, today - timedelta(days=1)}
        work = ((MESSAGES, message_days), (SHIPMENTS, delivery_days), (TRANSIT, delivery_days),
                (EXCEPTIONS, delivery_days), (REPEATS, repeat_days), (RATINGS, rating_days),
                (PAGE_VIEWS, view_days), (SALES, placed_days), (RETURNS, return_days),
                (REFUNDS, return_days), (RECOMMENDATIONS, recommendation_days),
                (ATTRIBUTION, placed_days | recommendation_days),
                (HOLDOUTS, holdout_days))
        for rollup, days in work:
            rollup_recompute(tenant, rollup, days)
        figures_forget(tenant.pk)
    return {rollup.name: len(days) for rollup, days in work}
