"""Writes of the tracking app: shipments, inbound webhooks, events, status and milestones.

    inbound_accept (verify, parse, store) ──▶ drain_kick ──▶ [task] inbound_drain (drain.py)
                                                              └─ updates_apply_many
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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from orders.models import OrderEvent
from orders.services import order_event_record, order_events_record_many
from tenants.models import Tenant
from tenants.services import credential_fields

from . import bulk
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
    transitions: list[_Scan] = field(default_factory=list)


def shipment_recompute(tenant: Tenant, shipment_id: int, *,
                       announce: bool = True) -> list[ShipmentMilestone]:
    """Derive one shipment's state from all its events; see `shipments_recompute`."""
    return shipments_recompute(tenant, [shipment_id], announce=announce)


class _Scan(NamedTuple):
    """What the fold reads of a stored event."""

    occurred_at: datetime
    status: str
    message: str
    exception_cause: str
    estimated_delivery: date | None
    source: str


def _fold(events: list[_Scan]) -> tuple[_Fold, list[tuple[str, datetime]]]:
    """Apply events in time order through the monotonic-status rule."""
    fold = _Fold()
    reached: list[tuple[str, datetime]] = []
    for event in events:
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
    return fold, reached


_RECOMPUTED_FIELDS = ["status", "exception_cause", "exception_message", "shipped_at",
                      "delivered_at", "last_event_at", "carrier_estimated_delivery", "stalled",
                      "delayed"]


def shipments_recompute(tenant: Tenant, shipment_ids: Iterable[int], *,
                        announce: bool = True) -> list[ShipmentMilestone]:
    """Derive each shipment's state from all its events and record every milestone reached;
    returns the milestones that are new. A handful of queries for any number of shipments:
    the rows are locked in id order (concurrent batches never deadlock), their events read in
    one query. With `announce=False` the caller queues the announcement."""
    ids = sorted(set(shipment_ids))
    if not ids:
        return []
    # No savepoint: an error rolls back the caller's whole unit of work, which is what we want.
    with transaction.atomic(savepoint=False):
        shipments = list(Shipment.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        events: dict[int, list[_Scan]] = {pk: [] for pk in ids}
        # Tuples, not model instances: a batch reads every event of 50 shipments.
        for shipment_id, *scan in TrackingEvent.objects.filter(shipment_id__in=ids).order_by(
                "occurred_at", "pk").values_list("shipment_id", *_Scan._fields):
            events[shipment_id].append(_Scan(*scan))
        existing: dict[int, set[str]] = {pk: set() for pk in ids}
        for shipment_id, milestone in ShipmentMilestone.objects.filter(
                shipment_id__in=ids).values_list("shipment_id", "milestone"):
            existing[shipment_id].add(milestone)

        new: list[ShipmentMilestone] = []
        timeline: list[dict] = []
        now = timezone.now()
        changed: list[tuple[Shipment, list[str]]] = []
        for shipment in shipments:
            previous_status = shipment.status
            before = {name: getattr(shipment, name) for name in _RECOMPUTED_FIELDS}
            fold, reached = _fold(events[shipment.pk])
            is_exception = fold.status == TrackingStatus.EXCEPTION
            shipment.status = fold.status or TrackingStatus.PENDING
            shipment.exception_cause = fold.exception_cause if is_exception else ""
            shipment.exception_message = (fold.exception_message if is_exception else "")[:500]
            shipment.shipped_at, shipment.delivered_at = fold.shipped_at, fold.delivered_at
            shipment.last_event_at = fold.last_event_at
            if fold.estimated_delivery:
                shipment.carrier_estimated_delivery = fold.estimated_delivery
            if shipment.stalled and fold.last_event_at:
                shipment.stalled = False  # movement resumed; the silence job sets it again if due
            if shipment.status in TERMINAL_STATUSES:
                # Over: neither late nor stuck. The silence job only scans live shipments.
                shipment.delayed = shipment.stalled = False
            fields = [name for name in _RECOMPUTED_FIELDS if getattr(shipment, name) != before[name]]
            if fields:
                shipment.updated_at = now
                changed.append((shipment, [*fields, "updated_at"]))
            if shipment.order_id and shipment.status != previous_status:
                # Every step, not only the last (one batch may carry in_transit and delivered);
                # keyed by status, so steps already recorded and replays add no line.
                timeline += [{
                    "order_id": shipment.order_id, "kind": OrderEvent.Kind.SHIPMENT_STATUS,
                    "summary": f"Shipment {shipment.carrier} {shipment.tracking_number}: "
                               f"{TrackingStatus(step.status).label}",
                    "occurred_at": step.occurred_at, "actor": f"carrier:{step.source}",
                    "data": {"shipment_id": shipment.pk, "status": step.status},
                    "dedup_key": f"shipment:{shipment.pk}:status:{step.status}",
                } for step in fold.transitions]
            first_reached = dict(reversed(reached))  # the earliest time each was reached
            new += [ShipmentMilestone(tenant=tenant, shipment=shipment, milestone=m, occurred_at=at)
                    for m, at in first_reached.items() if m not in existing[shipment.pk]]
        # One statement for every changed row (the rows are locked, so writing the fields that
        # did not change writes back what is there).
        if changed:
            names = [n for n in [*_RECOMPUTED_FIELDS, "updated_at"]
                     if any(n in fields for _, fields in changed)]
            bulk.rows_update(Shipment, tenant, [shipment for shipment, _ in changed], names)
        if timeline:
            order_events_record_many(tenant, timeline)
        # The unique constraint is the guard; `existing` only spares needless inserts.
        ShipmentMilestone.objects.bulk_create(new, ignore_conflicts=True)
        if new and announce:
            _announce_after_commit(tenant)
    return new


def _announce_after_commit(tenant: Tenant) -> None:
    from .tasks import milestones_announce

    transaction.on_commit(lambda: _enqueue(milestones_announce, tenant.pk), robust=True)


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
        inserted = bulk.events_insert(tenant, [rows[key] for key in sorted(rows)], timezone.now())
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


@dataclass(frozen=True)
class _Decision:
    status: str
    error: str = ""
    details: dict | None = None
    event_id: str = ""


def _decide(tenant: Tenant, source: str, body: bytes, headers: Mapping[str, str], query: str,
            *, truncated: bool = False, exclude_id: int | None = None,
            check_duplicate: bool = True, secrets: Mapping[str, str] | None = None) -> _Decision:
    """Verify and parse a body in memory: what its stored row's status will be. The webhook
    path leaves redeliveries to the drain (`check_duplicate=False`): one query less while the
    provider waits, and the drain sees them in batches."""
    from django.http import QueryDict

    if truncated:
        return _Decision(InboundWebhook.Status.INVALID, "The body was larger than we accept.")
    adapter = get_adapter(source)
    secrets = secrets or credential_fields(tenant, source) or {}
    lowered = {k.lower(): v for k, v in headers.items()}
    if not adapter.verify(body, lowered, QueryDict(query), secrets):
        reason = ("No webhook secret is configured for this source." if not secrets else
                  "The signature does not match this store's webhook secret.")
        return _Decision(InboundWebhook.Status.REJECTED, reason)
    try:
        updates = adapter.parse(body)
    except PayloadError as exc:
        return _Decision(InboundWebhook.Status.INVALID, exc.message, exc.details)
    if not updates:
        return _Decision(InboundWebhook.Status.IGNORED, "Not a kind of event we process.")
    event_id = next((u.provider_event_id for u in updates if u.provider_event_id), "")[:128]
    if check_duplicate and event_id and InboundWebhook.objects.filter(
            source=source, provider_event_id=event_id,
            status__in=[InboundWebhook.Status.QUEUED, InboundWebhook.Status.PROCESSED],
    ).exclude(pk=exclude_id).exists():
        return _Decision(InboundWebhook.Status.DUPLICATE, "This delivery arrived before.",
                         event_id=event_id)
    return _Decision(InboundWebhook.Status.QUEUED, event_id=event_id)


def _queue_processing(tenant: Tenant, inbound: InboundWebhook) -> None:
    """After commit, make sure a drain (drain.py) will apply the body: usually one Redis
    SET NX, not a Celery message per body."""
    from .drain import drain_kick

    transaction.on_commit(lambda: drain_kick(tenant.pk), robust=True)


def inbound_accept(tenant: Tenant, *, source: str, body: bytes, headers: Mapping[str, str],
                   query: str = "", remote_addr: str | None = None, truncated: bool = False,
                   secrets: Mapping[str, str] | None = None) -> tuple[InboundWebhook, Receipt]:
    """The webhook endpoint's path: verify and parse in memory, then store the body with its
    outcome in ONE write (a commit is the expensive part of answering a webhook). The body is
    still stored before anything processes it and before the provider gets its 2xx; if the
    checks themselves fail unexpectedly, the body is stored first and the error raised."""
    try:
        decision = _decide(tenant, source, body, headers, query, truncated=truncated,
                           check_duplicate=False, secrets=secrets)
    except Exception:
        inbound_store(tenant, source=source, body=body, headers=headers, query=query,
                      remote_addr=remote_addr, truncated=truncated)
        raise
    kept = {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
    inbound = bulk.row_insert(InboundWebhook(
        tenant=tenant, source=source, body=body, headers=kept, query=query[:2000],
        remote_addr=remote_addr, body_truncated=truncated, status=decision.status,
        error=decision.error, provider_event_id=decision.event_id))
    if decision.status == InboundWebhook.Status.QUEUED:
        _queue_processing(tenant, inbound)
    return inbound, Receipt(decision.status, decision.error, decision.details)


def inbound_receive(tenant: Tenant, inbound: InboundWebhook) -> Receipt:
    """Verify and parse a body already stored, and queue it: how replay works."""
    decision = _decide(tenant, inbound.source, bytes(inbound.body), inbound.headers,
                       inbound.query, truncated=inbound.body_truncated, exclude_id=inbound.pk)
    inbound.provider_event_id = decision.event_id or inbound.provider_event_id
    receipt = _finish(inbound, decision.status, decision.error, decision.details)
    if decision.status == InboundWebhook.Status.QUEUED:
        _queue_processing(tenant, inbound)
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


# Sources whose stored bodies a higher app processes (messaging's SendGrid and Twilio
# callbacks): it registers here, from its AppConfig.ready(), how to replay them.
REPLAYERS: dict[str, Callable[[Tenant, InboundWebhook], Receipt]] = {}


def inbound_replayer_register(source: str, replay: Callable[[Tenant, InboundWebhook], Receipt]) -> None:
    REPLAYERS[source] = replay


def inbound_replay(tenant: Tenant, inbound_id: int) -> Receipt:
    """Run a stored body through the whole pipeline again (e.g. after fixing a secret)."""
    from tenants.access import access_scoped

    inbound = access_scoped(InboundWebhook, tenant, inbound_id)
    if inbound.source in REPLAYERS:
        return REPLAYERS[inbound.source](tenant, inbound)
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
    _queue_processing(tenant, inbound)
    return Receipt(receipt.status, f"{count} event(s) accepted.", {"events": count})
