"""Writes of the tracking app: shipments, inbound webhooks, events, status and milestones.

    inbound_store ──▶ inbound_receive (verify, parse) ──▶ [task] inbound_process
                                                              └─ updates_apply
                                                                   ├─ events: INSERT … ON CONFLICT DO NOTHING
                                                                   └─ shipment_recompute (row lock)
                                                                        ├─ fold events in time order
                                                                        │   through status_transition_allowed
                                                                        └─ milestones: ON CONFLICT DO NOTHING,
                                                                           announced after commit

Recomputing the shipment from all of its stored events, in event-time order, is what makes
duplicates and out-of-order deliveries harmless: the result depends only on the set of events.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from orders.models import OrderEvent
from orders.services import order_event_record
from tenants.models import Tenant
from tenants.services import credential_fields

from .carriers import ADAPTERS, PayloadError, get_adapter
from .carriers.base import NormalizedEvent, NormalizedUpdate
from .carriers.generic import GenericEventParser
from .carriers.parsing import carrier_code
from .models import InboundWebhook, Shipment, ShipmentItem, ShipmentMilestone, TrackingEvent
from .statuses import (
    TERMINAL_STATUSES,
    Milestone,
    TrackingStatus,
    milestones_for_transition,
    status_transition_allowed,
)

logger = logging.getLogger(__name__)

# Headers never kept with an inbound body: they authenticate people, not providers.
_DROPPED_HEADERS = {"cookie", "authorization", "proxy-authorization"}


# --- shipments -------------------------------------------------------------------------

def shipment_create(tenant: Tenant, *, carrier: str, tracking_number: str, order=None,
                    service: str = "", promised_delivery=None,
                    items: Iterable[tuple[int, int]] = (), actor: str = "") -> Shipment:
    """Create (or return) the shipment for a carrier + tracking number; events that arrived
    before it did are attached and applied now. `items` are (line item id, quantity) pairs it
    carries, added once each; an existing shipment without an order gets `order`."""
    return shipment_get_or_create(tenant, carrier=carrier, tracking_number=tracking_number,
                                  order=order, service=service, promised_delivery=promised_delivery,
                                  items=items, actor=actor)[0]


def shipment_get_or_create(tenant: Tenant, *, carrier: str, tracking_number: str, order=None,
                           service: str = "", promised_delivery=None,
                           items: Iterable[tuple[int, int]] = (),
                           actor: str = "") -> tuple[Shipment, bool]:
    """`shipment_create`, also saying whether the shipment is new (the API answers 201 or 200).
    The order's timeline gets "shipment created" once, when the shipment first has an order."""
    carrier = carrier_code(carrier)
    tracking_number = tracking_number.strip()
    with transaction.atomic():
        shipment, created = Shipment.objects.get_or_create(
            carrier=carrier, tracking_number=tracking_number,
            defaults={"order": order, "service": service, "promised_delivery": promised_delivery})
        if order is not None and (created or shipment.order_id is None):
            # Before the recompute below, so the timeline reads "created", then its status.
            order_event_record(tenant, order.pk, OrderEvent.Kind.SHIPMENT_CREATED,
                               f"Shipment {carrier} {tracking_number} created", actor=actor,
                               data={"shipment_id": shipment.pk, "carrier": carrier,
                                     "tracking_number": tracking_number},
                               dedup_key=f"shipment:{shipment.pk}:created")
        if created:
            TrackingEvent.objects.filter(shipment=None, tracking_number=tracking_number).update(
                shipment=shipment)
            shipment_recompute(tenant, shipment.pk)
            shipment.refresh_from_db()
        elif order is not None and shipment.order_id is None:
            Shipment.objects.filter(pk=shipment.pk, order=None).update(order=order)
            shipment.order = order
        if items:
            ShipmentItem.objects.bulk_create(
                [ShipmentItem(tenant=tenant, shipment=shipment, line_item_id=line_id, quantity=qty)
                 for line_id, qty in items], ignore_conflicts=True)
    return shipment, created


def _find_shipment(update: NormalizedUpdate) -> Shipment | None:
    candidates = list(Shipment.objects.filter(tracking_number=update.tracking_number)[:2])
    exact = [s for s in candidates if s.carrier == update.carrier]
    if exact:
        return exact[0]
    # A source may name the carrier differently from the order import; one shipment with the
    # number is unambiguous enough.
    return candidates[0] if len(candidates) == 1 else None


@dataclass
class _Fold:
    status: str | None = None
    exception_cause: str = ""
    exception_message: str = ""
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    last_event_at: datetime | None = None
    estimated_delivery: object = None
    # The events that moved the status, in order: each step goes on the order's timeline.
    transitions: list[TrackingEvent] = field(default_factory=list)


def shipment_recompute(tenant: Tenant, shipment_id: int) -> list[ShipmentMilestone]:
    """Derive the shipment's state from all its events (locked against concurrent updates)
    and record every milestone reached; returns the milestones that are new."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        previous_status = shipment.status
        fold = _Fold()
        reached: list[tuple[str, datetime]] = []
        for event in shipment.events.order_by("occurred_at", "pk"):
            fold.last_event_at = event.occurred_at
            if event.estimated_delivery:
                fold.estimated_delivery = event.estimated_delivery
            if not status_transition_allowed(fold.status, event.status):
                continue
            for milestone in milestones_for_transition(fold.status, event.status):
                reached.append((milestone, event.occurred_at))
                if milestone == Milestone.SHIPPED:
                    fold.shipped_at = event.occurred_at
            if event.status != (fold.status or TrackingStatus.PENDING):
                fold.transitions.append(event)
            fold.status = event.status
            if event.status == TrackingStatus.EXCEPTION:
                fold.exception_cause, fold.exception_message = event.exception_cause, event.message
            if event.status == TrackingStatus.DELIVERED:
                fold.delivered_at = event.occurred_at

        shipment.status = fold.status or TrackingStatus.PENDING
        shipment.exception_cause = fold.exception_cause if fold.status == "exception" else ""
        shipment.exception_message = (fold.exception_message if fold.status == "exception" else "")[:500]
        shipment.shipped_at, shipment.delivered_at = fold.shipped_at, fold.delivered_at
        shipment.last_event_at = fold.last_event_at
        if fold.estimated_delivery:
            shipment.carrier_estimated_delivery = fold.estimated_delivery
        if shipment.stalled and fold.last_event_at:
            shipment.stalled = False  # movement resumed; the silence job sets it again if due
        if shipment.status in TERMINAL_STATUSES:
            # Over: neither late nor stuck. The silence job only scans live shipments.
            shipment.delayed = shipment.stalled = False
        shipment.save()
        if shipment.order_id and shipment.status != previous_status:
            # Every step, not only the last (one batch may carry in_transit and delivered);
            # keyed by status, so steps already recorded and replayed events add no line.
            for step in fold.transitions:
                order_event_record(
                    tenant, shipment.order_id, OrderEvent.Kind.SHIPMENT_STATUS,
                    f"Shipment {shipment.carrier} {shipment.tracking_number}: "
                    f"{TrackingStatus(step.status).label}",
                    occurred_at=step.occurred_at, actor=f"carrier:{step.source}",
                    data={"shipment_id": shipment.pk, "status": step.status},
                    dedup_key=f"shipment:{shipment.pk}:status:{step.status}")

        existing = set(ShipmentMilestone.objects.filter(shipment=shipment).values_list(
            "milestone", flat=True))
        new = [ShipmentMilestone(tenant=tenant, shipment=shipment, milestone=m, occurred_at=at)
               for m, at in dict(reversed(reached)).items() if m not in existing]
        # The unique constraint is the guard; the set above only spares needless inserts.
        ShipmentMilestone.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            from .tasks import milestones_announce

            transaction.on_commit(lambda: _enqueue(milestones_announce, tenant.pk), robust=True)
    return new


def _enqueue(task, *args) -> None:
    """Queue after commit; if the broker is down the periodic sweep picks the work up."""
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure; the sweep is the safety net
        logger.warning("could not queue %s; the sweep will retry", task.name, exc_info=True)


# --- events ----------------------------------------------------------------------------

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


def updates_apply(tenant: Tenant, updates: Iterable[NormalizedUpdate], *,
                  inbound: InboundWebhook | None = None) -> int:
    """Store every event once and bring each affected shipment up to date; returns how many
    events were new."""
    created_total = 0
    for update in updates:
        with transaction.atomic():
            shipment = _find_shipment(update)
            rows = [_event_row(tenant, update.source, update, e, shipment, inbound)
                    for e in update.events]
            summary = _summary_event(tenant, update, shipment, inbound)
            if summary is not None:
                rows.append(summary)
            keys = [r.dedup_key for r in rows]
            before = TrackingEvent.objects.filter(dedup_key__in=keys).count()
            TrackingEvent.objects.bulk_create(rows, ignore_conflicts=True)
            created = TrackingEvent.objects.filter(dedup_key__in=keys).count() - before
            created_total += created
            if shipment is not None:
                if update.estimated_delivery and not shipment.carrier_estimated_delivery:
                    Shipment.objects.filter(pk=shipment.pk).update(
                        carrier_estimated_delivery=update.estimated_delivery)
                if created:
                    shipment_recompute(tenant, shipment.pk)
    return created_total


# --- inbound webhooks ------------------------------------------------------------------

GENERIC_SOURCE = "generic"
SHOPIFY_SOURCE = "shopify"  # orders and fulfillments, not a carrier: tracking/shopify/


def _parser(source: str):
    """The carrier adapter for a webhook source, or our generic event API's parser."""
    return GenericEventParser() if source == GENERIC_SOURCE else get_adapter(source)


def inbound_store(tenant: Tenant, *, source: str, body: bytes, headers: Mapping[str, str],
                  query: str = "", remote_addr: str | None = None,
                  truncated: bool = False) -> InboundWebhook:
    """Raw first: the body is stored before anything else looks at it."""
    kept = {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
    return InboundWebhook.objects.create(
        tenant=tenant, source=source, body=body, headers=kept, query=query[:2000],
        remote_addr=remote_addr, body_truncated=truncated)


@dataclass(frozen=True)
class Receipt:
    status: str  # an InboundWebhook.Status
    message: str = ""
    details: dict | None = None


def inbound_receive(tenant: Tenant, inbound: InboundWebhook) -> Receipt:
    """Verify and parse a stored body; on success queue its processing. Also how replay works."""
    from django.http import QueryDict

    adapter = get_adapter(inbound.source)
    secrets = credential_fields(tenant, inbound.source) or {}
    headers = {k.lower(): v for k, v in inbound.headers.items()}
    body = bytes(inbound.body)
    if inbound.body_truncated:
        return _finish(inbound, InboundWebhook.Status.INVALID, "The body was larger than we accept.")
    if not adapter.verify(body, headers, QueryDict(inbound.query), secrets):
        reason = ("No webhook secret is configured for this source." if not secrets else
                  "The signature does not match this store's webhook secret.")
        return _finish(inbound, InboundWebhook.Status.REJECTED, reason)
    try:
        updates = adapter.parse(body)
    except PayloadError as exc:
        return _finish(inbound, InboundWebhook.Status.INVALID, exc.message, exc.details)
    if not updates:
        return _finish(inbound, InboundWebhook.Status.IGNORED, "Not a kind of event we process.")
    event_id = next((u.provider_event_id for u in updates if u.provider_event_id), "")
    if event_id and InboundWebhook.objects.filter(
            source=inbound.source, provider_event_id=event_id,
            status__in=[InboundWebhook.Status.QUEUED, InboundWebhook.Status.PROCESSED],
    ).exclude(pk=inbound.pk).exists():
        inbound.provider_event_id = event_id[:128]
        return _finish(inbound, InboundWebhook.Status.DUPLICATE, "This delivery arrived before.")
    inbound.provider_event_id = event_id[:128]
    receipt = _finish(inbound, InboundWebhook.Status.QUEUED)
    from .tasks import inbound_process

    transaction.on_commit(lambda: _enqueue(inbound_process, tenant.pk, inbound.pk), robust=True)
    return receipt


def _finish(inbound: InboundWebhook, status: str, error: str = "", details=None) -> Receipt:
    inbound.status, inbound.error = status, error
    inbound.save(update_fields=["status", "error", "provider_event_id"])
    return Receipt(status, error, details)


def inbound_process(tenant: Tenant, inbound_id: int) -> None:
    """Apply a queued body. Idempotent: running it twice creates nothing twice."""
    inbound = InboundWebhook.objects.filter(pk=inbound_id).first()
    if inbound is not None and inbound.source == SHOPIFY_SOURCE:
        from .shopify.processing import shopify_process

        return shopify_process(tenant, inbound)
    if inbound is None or inbound.status not in (InboundWebhook.Status.QUEUED,
                                                 InboundWebhook.Status.FAILED):
        return
    inbound.attempts += 1
    try:
        updates = _parser(inbound.source).parse(bytes(inbound.body))
        created = updates_apply(tenant, updates, inbound=inbound)
    except Exception as exc:
        logger.exception("inbound webhook processing failed", extra={"inbound_id": inbound_id})
        inbound.status, inbound.error = InboundWebhook.Status.FAILED, f"{type(exc).__name__}: {exc}"
        inbound.save(update_fields=["status", "error", "attempts"])
        raise
    inbound.status, inbound.error = InboundWebhook.Status.PROCESSED, ""
    inbound.processed_at, inbound.events_created = timezone.now(), created
    inbound.save(update_fields=["status", "error", "attempts", "processed_at", "events_created"])


def inbound_replay(tenant: Tenant, inbound_id: int) -> Receipt:
    """Run a stored body through the whole pipeline again (e.g. after fixing a secret)."""
    from tenants.access import access_scoped

    inbound = access_scoped(InboundWebhook, tenant, inbound_id)
    if inbound.source == GENERIC_SOURCE:
        return generic_events_receive(tenant, inbound)
    if inbound.source == SHOPIFY_SOURCE:
        from .shopify.processing import shopify_receive

        return shopify_receive(tenant, inbound)
    if inbound.source not in ADAPTERS:
        return _finish(inbound, InboundWebhook.Status.INVALID,
                       f"No webhook source named {inbound.source!r}: nothing can process it.")
    return inbound_receive(tenant, inbound)


def generic_events_receive(tenant: Tenant, inbound: InboundWebhook) -> Receipt:
    """Validate a stored generic-API batch (already authenticated by its API key) and queue it.
    Raises PayloadError, naming each bad item and field, after recording the outcome."""
    try:
        updates = GenericEventParser().parse(bytes(inbound.body))
    except PayloadError as exc:
        _finish(inbound, InboundWebhook.Status.INVALID, exc.message)
        raise
    count = sum(len(u.events) for u in updates)
    receipt = _finish(inbound, InboundWebhook.Status.QUEUED, details={"events": count})
    from .tasks import inbound_process

    transaction.on_commit(lambda: _enqueue(inbound_process, tenant.pk, inbound.pk), robust=True)
    return Receipt(receipt.status, f"{count} event(s) accepted.", {"events": count})
