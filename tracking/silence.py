"""Silence and lateness: when a shipment has gone quiet (`stalled`) or missed its date
(`delayed`), and the periodic job that keeps those two flags and their milestones current.

    beat, every 15 min ─▶ tasks.silence_check_all ─▶ tasks.silence_check(tenant_id), per tenant
                                                        └─ shipments_check_silence(tenant)
          active shipments, by pk, in batches, FOR UPDATE SKIP LOCKED ◀──┘
            ├─ stall_reason() / is_delayed()      pure rules, below
            ├─ flags changed: one UPDATE per batch
            └─ delayed / stalled milestones: INSERT … ON CONFLICT DO NOTHING,
               announced by tasks.milestones_announce after commit (the outbox)

Silence is counted in *business hours*: every hour of Monday to Friday in the tenant's time
zone counts, Saturdays and Sundays do not (carriers barely scan at weekends, so two quiet
weekend days are not news). Public holidays are not modelled yet: a quiet holiday counts.

Each milestone is recorded once per shipment (the unique constraint on ShipmentMilestone), and
so reaches the shopper once: a parcel that stalls, moves and stalls again is flagged again, but
the shopper is not told twice that it is stuck. A second "sorry, still stuck" would need a
journey of its own, not a repeat of this one.

Clearing: a new scan clears `stalled` in `services.shipment_recompute`; reaching a terminal
status clears both flags there too (terminal shipments are not scanned here); anything else
(a later estimated date, changed thresholds) is cleared by the next run of this job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from config.errors import ValidationFailed
from tenants.context import require_tenant
from tenants.models import Tenant
from tenants.queueing import enqueue_on_commit

from .carriers.parsing import carrier_code
from .models import Shipment, ShipmentMilestone, TrackingSettings
from .public.cache import tracking_page_forget
from .statuses import TERMINAL_STATUSES, Milestone, TrackingStatus

logger = logging.getLogger(__name__)

NO_FIRST_SCAN = "no_first_scan"  # label created, the carrier never scanned the parcel
NO_SCAN_IN_TRANSIT = "no_scan_in_transit"  # on its way, no scan for longer than usual
NOT_COLLECTED = "not_collected"  # waiting at a pickup point, the shopper has not come

# What the settings accept (API, dashboard and service alike).
HOURS_MIN, HOURS_MAX = 1, 720
PICKUP_DAYS_MIN, PICKUP_DAYS_MAX = 1, 30


class ShipmentLike(Protocol):
    status: str
    carrier: str
    created_at: datetime
    shipped_at: datetime | None
    last_event_at: datetime | None
    promised_delivery: date | None
    carrier_estimated_delivery: date | None


class Thresholds(Protocol):
    label_silence_hours: int
    transit_silence_hours: int
    carrier_silence_hours: Mapping[str, int]
    pickup_wait_days: int


# --- the rules (pure) -----------------------------------------------------------------------

def business_hours_between(start: datetime, end: datetime, tz: tzinfo) -> float:
    """Hours between two aware instants that fall on a Monday to Friday in `tz`.

    Days are real local days (a daylight-saving day has 23 or 25 hours). Holidays are not
    modelled yet: a weekday holiday counts as a business day."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("business_hours_between needs aware datetimes")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    seconds = 0.0
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    while day <= last:
        if day.weekday() < 5:
            # In UTC, so that subtraction counts elapsed time, not wall-clock time.
            day_start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
            day_end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
            overlap = (min(end, day_end) - max(start, day_start)).total_seconds()
            seconds += max(overlap, 0.0)
        day += timedelta(days=1)
    return seconds / 3600


def transit_silence_limit(settings: Thresholds, carrier: str) -> int:
    """Business hours a carrier may stay quiet in transit: its override, else the default."""
    return (settings.carrier_silence_hours or {}).get(carrier, settings.transit_silence_hours)


def stall_reason(shipment: ShipmentLike, settings: Thresholds, now: datetime,
                 tz: tzinfo) -> str | None:
    """Why this shipment counts as stalled at `now`, or None. Terminal shipments never are.

    - pending (no carrier movement yet): no scan `label_silence_hours` after the label, i.e.
      after the earliest of its creation here and its last pre-movement event;
    - available for pickup: not collected after `pickup_wait_days` business days;
    - any other live status: no scan for the carrier's limit (`transit_silence_limit`).
    """
    status = shipment.status
    if status in TERMINAL_STATUSES:
        return None
    last_heard = shipment.last_event_at or shipment.shipped_at or shipment.created_at
    if status in (TrackingStatus.PENDING, TrackingStatus.UNKNOWN) and shipment.shipped_at is None:
        reason, limit = NO_FIRST_SCAN, settings.label_silence_hours
        # Repeated "label created" events are not carrier scans: they do not reset the clock.
        since = min(shipment.created_at, shipment.last_event_at or shipment.created_at)
    elif status == TrackingStatus.AVAILABLE_FOR_PICKUP:
        reason, limit, since = NOT_COLLECTED, settings.pickup_wait_days * 24, last_heard
    else:
        reason, since = NO_SCAN_IN_TRANSIT, last_heard
        limit = transit_silence_limit(settings, shipment.carrier)
    # Business hours never exceed elapsed hours: most shipments are decided without the count.
    if (now - since) < timedelta(hours=limit):
        return None
    return reason if business_hours_between(since, now, tz) >= limit else None


def is_delayed(shipment: ShipmentLike, today_in_tz: date) -> bool:
    """The promised date (else the carrier's estimate) is before today and the shipment is
    not delivered, returned, cancelled or expired."""
    if shipment.status in TERMINAL_STATUSES:
        return False
    due = shipment.promised_delivery or shipment.carrier_estimated_delivery
    return due is not None and due < today_in_tz


def tenant_zone(tenant: Tenant) -> tzinfo:
    try:
        return ZoneInfo(tenant.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown tenant time zone; using UTC", extra={"tz": tenant.timezone})
        return UTC


# --- settings -------------------------------------------------------------------------------

def carrier_silence_hours_clean(value: object) -> dict[str, int]:
    """{"usps": 72, "DHL Express": 48} → {"USPS": 72, "DHL": 48}: keys become the carrier codes
    shipments carry, so an override always matches. Raises ValueError in retailer words."""
    if not isinstance(value, Mapping):
        raise ValueError("Give an object of carrier → hours, e.g. {\"USPS\": 96}.")
    cleaned: dict[str, int] = {}
    for raw, hours in value.items():
        code = carrier_code(raw)
        if not code:
            raise ValueError("A carrier name is empty.")
        if code in cleaned:
            raise ValueError(f"{code} is listed twice.")
        if isinstance(hours, bool) or not isinstance(hours, int) \
                or not HOURS_MIN <= hours <= HOURS_MAX:
            raise ValueError(f"Hours for {code} must be a whole number from {HOURS_MIN} to {HOURS_MAX}.")
        cleaned[code] = hours
    return cleaned


def tracking_settings_get(tenant: Tenant) -> TrackingSettings:
    """The tenant's thresholds; the defaults (unsaved) until someone changes one. In the
    tenant's scope (row-level security: outside it every store would seem to have none)."""
    require_tenant(tenant)
    stored = TrackingSettings.objects.unscoped(reason="one row per tenant, looked up by tenant") \
        .filter(tenant=tenant).first()
    return stored or TrackingSettings(tenant=tenant)


def tracking_settings_update(tenant: Tenant, *, actor=None, **fields) -> TrackingSettings:
    """Change some thresholds. Fields were shaped by a form or serializer; the bounds are
    checked again here so every way in obeys the same rules."""
    require_tenant(tenant)
    errors: dict[str, list[str]] = {}
    bounds = {"label_silence_hours": (HOURS_MIN, HOURS_MAX),
              "transit_silence_hours": (HOURS_MIN, HOURS_MAX),
              "pickup_wait_days": (PICKUP_DAYS_MIN, PICKUP_DAYS_MAX)}
    for name, (low, high) in bounds.items():
        if name in fields and not low <= fields[name] <= high:
            errors[name] = [f"Use a whole number from {low} to {high}."]
    if "carrier_silence_hours" in fields:
        try:
            fields["carrier_silence_hours"] = carrier_silence_hours_clean(fields["carrier_silence_hours"])
        except ValueError as exc:
            errors["carrier_silence_hours"] = [str(exc)]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        row, _ = TrackingSettings.objects.unscoped(reason="one row per tenant, looked up by tenant") \
            .select_for_update().get_or_create(tenant=tenant)
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
    logger.info("tracking settings changed", extra={"fields": sorted(fields),
                                                    "actor": getattr(actor, "pk", None)})
    return row


# --- the job --------------------------------------------------------------------------------

ACTIVE_STATUSES = [s.value for s in TrackingStatus if s not in TERMINAL_STATUSES]
BATCH_SIZE = 500
_FLAG_MILESTONE = {"stalled": Milestone.STALLED, "delayed": Milestone.DELAYED}
_FIELDS = ["id", "tenant", "status", "carrier", "created_at", "shipped_at", "last_event_at",
           "promised_delivery", "carrier_estimated_delivery", "delayed", "stalled", "is_return"]


@dataclass
class SilenceResult:
    scanned: int = 0
    stalled: int = 0  # newly flagged stalled
    unstalled: int = 0
    delayed: int = 0  # newly flagged delayed
    undelayed: int = 0
    milestones: int = 0  # stalled/delayed milestones recorded for the first time


def shipments_check_silence(tenant: Tenant, *, now: datetime | None = None) -> SilenceResult:
    """Set and clear `stalled` / `delayed` on the tenant's live shipments and record each
    milestone the first time its flag goes up. Safe to run concurrently with itself and with
    incoming events: rows another transaction holds are skipped, and caught on the next run."""
    now = now or timezone.now()
    tz = tenant_zone(tenant)
    result = SilenceResult()
    require_tenant(tenant)
    thresholds = tracking_settings_get(tenant)
    after_pk = 0
    while True:
        with transaction.atomic():
            batch = _lock_batch(after_pk)
            _check_batch(tenant, batch, thresholds, now, tz, result)
        if len(batch) < BATCH_SIZE:
            break
        after_pk = batch[-1].pk
    if result.milestones:
        from .tasks import milestones_announce

        # Once per run, after the last batch is committed (at once when no transaction is open).
        enqueue_on_commit(milestones_announce, tenant.pk, what="the milestone announcement")
    return result


def _lock_batch(after_pk: int) -> list[Shipment]:
    # Uses the (tenant, status) index; terminal shipments (most of the table) are never read.
    rows = (Shipment.objects.filter(status__in=ACTIVE_STATUSES, pk__gt=after_pk)
            .order_by("pk").only(*_FIELDS))
    return list(rows.select_for_update(skip_locked=True)[:BATCH_SIZE])


def _check_batch(tenant: Tenant, batch: list[Shipment], thresholds: TrackingSettings,
                 now: datetime, tz: tzinfo, result: SilenceResult) -> None:
    result.scanned += len(batch)
    if not batch:
        return
    today = now.astimezone(tz).date()
    recorded = set(ShipmentMilestone.objects.filter(
        shipment_id__in=[s.pk for s in batch], milestone__in=list(_FLAG_MILESTONE.values()),
    ).values_list("shipment_id", "milestone"))
    changed: dict[int, Shipment] = {}
    new: list[ShipmentMilestone] = []
    for shipment in batch:
        flags = {"stalled": stall_reason(shipment, thresholds, now, tz) is not None,
                 "delayed": thresholds.detect_delays and is_delayed(shipment, today)}
        for flag, up in flags.items():
            if getattr(shipment, flag) == up:
                continue
            setattr(shipment, flag, up)
            counter = flag if up else f"un{flag}"
            setattr(result, counter, getattr(result, counter) + 1)
            changed[shipment.pk] = shipment
            milestone = _FLAG_MILESTONE[flag]
            if up and (shipment.pk, milestone) not in recorded:
                new.append(ShipmentMilestone(tenant=tenant, shipment=shipment,
                                             milestone=milestone, occurred_at=now,
                                             kind=ShipmentMilestone.kind_for(shipment)))
    if changed:
        for shipment in changed.values():
            shipment.updated_at = now
        Shipment.objects.bulk_update(changed.values(), ["stalled", "delayed", "updated_at"])
        tracking_page_forget(tenant.pk, list(changed))  # "running late" shows on the page
    if new:
        # The unique constraint is the guard; `recorded` only spares needless inserts.
        ShipmentMilestone.objects.bulk_create(new, ignore_conflicts=True)
        result.milestones += len(new)
