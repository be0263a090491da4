"""Tracking events: stored once each, in batches, and applied to their shipments."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from config import db
from tenants.models import InboundWebhook, Tenant

from ..carriers.base import NormalizedEvent, NormalizedUpdate
from ..models import Shipment, TrackingEvent
from .shipments import _announce_after_commit, shipments_recompute


def _event_row(tenant: Tenant, source: str, update: NormalizedUpdate, event: NormalizedEvent,
               shipment: Shipment | None, inbound: InboundWebhook | None) -> TrackingEvent:
    return TrackingEvent(
        tenant=tenant, shipment=shipment, source=source, carrier=event.carrier or update.carrier,
        tracking_number=event.tracking_number, occurred_at=event.occurred_at, status=event.status,
        source_code=event.source_code[:64], source_subcode=(event.source_subcode or "")[:64],
        message=event.message[:1000], location=event.location,
        exception_cause=event.exception_cause or "", estimated_delivery=event.estimated_delivery,
        dedup_key=event.dedup_key, inbound=inbound)


def _summary_event(tenant, update: NormalizedUpdate, shipment, inbound) -> TrackingEvent | None:
    """A source's overall status that no event carries (AfterShip `Expired`) is stored as an
    event of its own, so the timeline shows it and the fold applies it like any other."""
    if update.status is None or any(e.status == update.status for e in update.events):
        return None
    key = hashlib.sha256(f"{update.tracking_number}|{update.status}".encode()).hexdigest()
    occurred = max((e.occurred_at for e in update.events), default=timezone.now())
    return TrackingEvent(
        tenant=tenant, shipment=shipment, source=update.source, carrier=update.carrier,
        tracking_number=update.tracking_number, occurred_at=occurred, status=update.status,
        source_code="summary", message=f"Status reported by {update.source}",
        exception_cause=update.exception_cause or "", estimated_delivery=update.estimated_delivery,
        dedup_key=f"{update.source}:summary:{key}", inbound=inbound)


def _find_shipments(updates: list[NormalizedUpdate]) -> dict[tuple[str, str], Shipment]:
    """One query for a whole batch: (tracking number, carrier) → shipment. A source may name
    the carrier differently from the order import; a number with one shipment is unambiguous."""
    numbers = {u.tracking_number for u in updates}
    by_number: dict[str, list[Shipment]] = {}
    for shipment in Shipment.objects.filter(tracking_number__in=numbers):
        by_number.setdefault(shipment.tracking_number, []).append(shipment)
    found = {}
    for update in updates:
        candidates = by_number.get(update.tracking_number, [])
        exact = [s for s in candidates if s.carrier == update.carrier]
        match = exact[0] if exact else (candidates[0] if len(candidates) == 1 else None)
        if match is not None:
            found[(update.tracking_number, update.carrier)] = match
    return found


def updates_apply(tenant: Tenant, updates: Iterable[NormalizedUpdate], *,
                  inbound: InboundWebhook | None = None) -> int:
    """Store every event once and bring each affected shipment up to date, in one
    transaction; returns how many events this call stored (events already stored, or stored
    meanwhile by a concurrent batch, are not counted)."""
    return sum(updates_apply_many(tenant, [(inbound, list(updates))]).values())


def updates_apply_many(tenant: Tenant, batches: list[tuple[InboundWebhook | None,
                                                           list[NormalizedUpdate]]]) -> dict[int | None, int]:
    """`updates_apply` for several bodies at once, in one transaction: one insert for all
    their events, one recompute for all their shipments. Returns the events each body (by
    inbound id; None for updates with no stored body) added.

    Lock order keeps concurrent batches from deadlocking: events are inserted sorted by dedup
    key (a shared key makes the later batch wait before it holds anything the earlier one
    needs), and shipments are locked in id order."""
    every = [update for _, updates in batches for update in updates]
    if not every:
        return {}
    with transaction.atomic():
        shipments = _find_shipments(every)
        rows: dict[str, TrackingEvent] = {}
        eta: dict[int, object] = {}
        for inbound, updates in batches:
            for update in updates:
                shipment = shipments.get((update.tracking_number, update.carrier))
                candidates = [_event_row(tenant, update.source, update, e, shipment, inbound)
                              for e in update.events]
                summary = _summary_event(tenant, update, shipment, inbound)
                if summary is not None:
                    candidates.append(summary)
                for row in candidates:
                    rows.setdefault(row.dedup_key, row)
                if shipment is not None and update.estimated_delivery and \
                        not shipment.carrier_estimated_delivery:
                    eta[shipment.pk] = update.estimated_delivery
        # RETURNING says exactly which events are new, also when a concurrent batch races.
        inserted = {key for (key,) in db.rows_insert(
            TrackingEvent, tenant.pk, [rows[key] for key in sorted(rows)],
            conflict="tenant_id, dedup_key", returning="dedup_key")}
        new_rows = [rows[key] for key in sorted(inserted)]
        for shipment_id, estimated in eta.items():
            Shipment.objects.filter(pk=shipment_id, carrier_estimated_delivery=None).update(
                carrier_estimated_delivery=estimated)
        touched = {row.shipment_id for row in new_rows if row.shipment_id}
        if shipments_recompute(tenant, touched, announce=False):
            _announce_after_commit(tenant)  # once per batch, not once per shipment
    created: dict[int | None, int] = {inbound.pk if inbound else None: 0 for inbound, _ in batches}
    for row in new_rows:
        created[row.inbound_id] = created.get(row.inbound_id, 0) + 1
    return created
