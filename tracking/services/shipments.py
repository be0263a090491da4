"""Shipments: created (events that came first attached), and recomputed from all their events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from config import db
from orders.models import OrderEvent
from orders.services import order_event_record, order_events_record_many
from tenants.models import Tenant
from tenants.queueing import enqueue_on_commit

from ..carriers.parsing import carrier_code
from ..models import Shipment, ShipmentItem, ShipmentMilestone, TrackingEvent
from ..public.cache import tracking_page_forget
from ..statuses import (
    TERMINAL_STATUSES,
    Milestone,
    TrackingStatus,
    milestones_for_transition,
    status_transition_allowed,
)


def shipment_create(tenant: Tenant, *, carrier: str, tracking_number: str, order=None,
                    service: str = "", promised_delivery=None,
                    items: Iterable[tuple[int, int]] = (), actor: str = "") -> Shipment:
    """Create (or return) the shipment for a carrier + tracking number; events that arrived
    before it did are attached and applied now. `items` are (line item id, quantity) pairs it
    carries, added once each; an existing shipment without an order gets `order`."""
    return shipment_get_or_create(tenant, carrier=carrier, tracking_number=tracking_number,
                                  order=order, service=service, promised_delivery=promised_delivery,
                                  items=items, actor=actor)[0]


def return_parcel_register(tenant: Tenant, *, carrier: str, tracking_number: str,
                           service: str = "") -> Shipment:
    """A return parcel (a return's label): a shipment the carriers' webhooks move like any
    other, through the same canonical statuses, whose milestones are of the return kind
    (ShipmentMilestone.RETURN_KIND: the returns app processes them; no delivery message).
    It names no order: it is not one of the order's deliveries (the tracking page, the lookup
    and the order's parcels list show deliveries only); the return links to it.
    Scans that came before it are applied now, as for any new shipment."""
    carrier = carrier_code(carrier)
    tracking_number = tracking_number.strip()
    with transaction.atomic():
        shipment, created = Shipment.objects.get_or_create(
            carrier=carrier, tracking_number=tracking_number,
            defaults={"service": service, "is_return": True})
        if not created and not shipment.is_return:
            if shipment.order_id is not None or ShipmentMilestone.objects.filter(
                    shipment=shipment).exists():
                raise ValueError(f"{carrier} {tracking_number} is a delivery, not a return parcel.")
            Shipment.objects.filter(pk=shipment.pk).update(is_return=True)
            shipment.is_return = True
        if created:
            TrackingEvent.objects.filter(shipment=None, tracking_number=tracking_number).update(
                shipment=shipment)
        shipment_recompute(tenant, shipment.pk)
        shipment.refresh_from_db()
    return shipment


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
        if not created and (items or order is not None):
            tracking_page_forget(tenant.pk, [shipment.pk])  # its items or its order changed
    return shipment, created


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
            new += [ShipmentMilestone(tenant=tenant, shipment=shipment, milestone=m, occurred_at=at,
                                      kind=ShipmentMilestone.kind_for(shipment))
                    for m, at in first_reached.items() if m not in existing[shipment.pk]]
        # One statement for every changed row (the rows are locked, so writing the fields that
        # did not change writes back what is there).
        if changed:
            names = [n for n in [*_RECOMPUTED_FIELDS, "updated_at"]
                     if any(n in fields for _, fields in changed)]
            db.rows_update(Shipment, tenant.pk, [shipment for shipment, _ in changed], names)
        if timeline:
            order_events_record_many(tenant, timeline)
        # The unique constraint is the guard; `existing` only spares needless inserts.
        ShipmentMilestone.objects.bulk_create(new, ignore_conflicts=True)
        if new and announce:
            _announce_after_commit(tenant)
        # Every recompute follows new events: the timeline changed even when the status did not.
        tracking_page_forget(tenant.pk, ids)
    return new


def _announce_after_commit(tenant: Tenant) -> None:
    from ..tasks import milestones_announce

    enqueue_on_commit(milestones_announce, tenant.pk, what="the milestone announcement")
