"""Live demo parcels: a few parcels of the demo store that move while a newcomer watches, so
the dev outbox fills with real messages about today's parcels. (The seeded history, days to
months old, sends nothing: messaging/journeys/planning.py, STALE_AFTER_HOURS.)

    seed_demo_shipments ─▶ live_parcels_start: the newest shipped orders of shoppers who
                           take e-mail get a parcel each, "label created" now
    beat, only with DEMO_LIVE_PARCELS (config/celery.py), every 20 s
        └─▶ [task] demo_live_parcels_advance ─▶ live_parcels_advance: every parcel whose
            next scan is due gets it, in one body of our generic tracking-event API, stored
            and queued exactly as POST /api/v1/tracking-events does
                └─▶ drain ─▶ status, milestones ─▶ journeys ─▶ messages ─▶ dev outbox

Scan k (k ≥ 1) of the parcel in slot s is due STEP × (k + STAGGER × s) after its label: the
parcels set off one after another, so something happens about every minute for a while.
A new round of parcels starts at the next seed once every parcel of the last one arrived.
Everything here runs in its caller's scope (the seeder's, the task's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min
from django.utils import timezone

from orders.models import Order
from tenants.inbound import inbound_store
from tenants.models import Tenant

from . import services
from .carriers.base import NormalizedEvent, NormalizedUpdate
from .models import Shipment
from .statuses import TrackingStatus as S

LIVE_PREFIX = "DEMOLIVE"
STEP = timedelta(seconds=60)
STAGGER = 2  # steps between one parcel's start and the next one's
CARRIER = "DHL"
LOCATION = {"city": "Hamburg", "country": "DE"}

# One story per slot: (status, scan text). The first line is applied by the seed.
STORIES: list[list[tuple[str, str]]] = [
    [(S.PENDING, "Label created"), (S.IN_TRANSIT, "Departed facility"),
     (S.IN_TRANSIT, "Arrived at delivery hub"), (S.OUT_FOR_DELIVERY, "Out for delivery"),
     (S.DELIVERED, "Delivered, handed to resident")],
    [(S.PENDING, "Label created"), (S.IN_TRANSIT, "Departed facility"),
     (S.OUT_FOR_DELIVERY, "Out for delivery"),
     (S.ATTEMPT_FAILED, "Recipient not at home, notice left"),
     (S.OUT_FOR_DELIVERY, "Out for delivery, second attempt"),
     (S.DELIVERED, "Delivered, left with neighbour")],
    [(S.PENDING, "Label created"), (S.IN_TRANSIT, "Departed facility"),
     (S.AVAILABLE_FOR_PICKUP, "Ready for collection at parcel shop")],
]


@dataclass(frozen=True)
class LiveParcel:
    shipment: Shipment
    slot: int
    scans: int  # stored so far
    label_at: datetime

    @property
    def story(self) -> list[tuple[str, str]]:
        return STORIES[self.slot]

    @property
    def moving(self) -> bool:
        return self.scans < len(self.story)

    def next_due_at(self) -> datetime:
        return self.label_at + STEP * (self.scans + STAGGER * self.slot)


def _number(round_number: int, slot: int, order: Order) -> str:
    return f"{LIVE_PREFIX}{round_number:03d}{slot}{order.pk:07d}"


def live_parcels(tenant: Tenant) -> list[LiveParcel]:
    """This store's live parcels with how far each has come (one query)."""
    rows = (Shipment.objects.filter(tracking_number__startswith=LIVE_PREFIX)
            .annotate(scans=Count("events"), label_at=Min("events__occurred_at"))
            .order_by("pk"))
    return [LiveParcel(row, int(row.tracking_number[len(LIVE_PREFIX) + 3]), row.scans,
                       row.label_at or row.created_at)
            for row in rows]


def live_orders(orders: list[Order]) -> list[Order]:
    """Who gets the live parcels: the newest orders (the list is newest first) of shoppers who
    take e-mail, so each parcel's messages are really sent."""
    return [order for order in orders
            if order.customer_id and order.customer.transactional_email_consent][:len(STORIES)]


def live_parcels_start(tenant: Tenant, orders: list[Order], *,
                       now: datetime | None = None) -> int:
    """A new round of live parcels for `orders` (see `live_orders`), each with its label scan,
    unless a parcel of the last round is still moving. Returns how many started."""
    now = now or timezone.now()
    parcels = live_parcels(tenant)
    if any(parcel.moving for parcel in parcels):
        return 0
    round_number = len({p.shipment.tracking_number[:len(LIVE_PREFIX) + 3] for p in parcels}) + 1
    updates = []
    for slot, order in enumerate(orders[:len(STORIES)]):
        number = _number(round_number, slot, order)
        services.shipment_create(tenant, carrier=CARRIER, tracking_number=number, order=order,
                                 actor="demo")
        status, text = STORIES[slot][0]
        updates.append(NormalizedUpdate(
            source="generic", tracking_number=number, carrier=CARRIER, service=None,
            estimated_delivery=(now + timedelta(days=1)).date(), provider_object_id=None,
            events=[NormalizedEvent(
                tracking_number=number, carrier=CARRIER, status=status, source_code=status,
                source_subcode=None, message=text, occurred_at=now, location=LOCATION,
                exception_cause=None, estimated_delivery=None,
                dedup_key=f"generic:{number}:live-0", raw={})]))
    services.updates_apply(tenant, updates)
    return len(updates)


def live_parcels_advance(tenant: Tenant, *, now: datetime | None = None) -> int:
    """Each live parcel whose next scan is due gets it (at most one each per call), sent as a
    carrier or 3PL would send it: one body of our generic event API, stored raw first, then
    queued for the drain. Returns how many scans were sent."""
    now = now or timezone.now()
    due = [p for p in live_parcels(tenant) if p.moving and p.next_due_at() <= now]
    if not due:
        return 0
    body = json.dumps([{
        "tracking_number": p.shipment.tracking_number, "carrier": p.shipment.carrier,
        "status": p.story[p.scans][0], "message": p.story[p.scans][1],
        "occurred_at": now.isoformat(), "location": LOCATION,
        # The scan's number makes its key: a tick that runs twice stores it once.
        "event_id": f"live-{p.scans}",
    } for p in due]).encode()
    inbound = inbound_store(tenant, source=services.GENERIC_SOURCE, body=body,
                            headers={"content-type": "application/json"})
    services.generic_events_receive(tenant, inbound)
    return len(due)
