"""Demo shipments for the "Acme Outdoor" store: every fulfilled order gets a parcel with a
realistic scan history, applied through the real pipeline (events → status → milestones →
journeys), so the demo shows shipments and timelines. The history is days to months old, so
it sends no messages (a product rule: messaging/journeys/planning.py, MESSAGING_STALE_AFTER_HOURS);
with DEMO_LIVE_PARCELS on, the newest orders' parcels move while you watch instead
(demo_live.py), and their messages land in the dev outbox.

Idempotent: shipments are found by carrier + tracking number and events by their dedup key,
so a second run adds nothing. Deterministic: a seeded random picks carriers and outcomes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from orders.models import Order
from tenants.context import tenant_scope
from tenants.models import Tenant

from . import services
from .carriers.base import NormalizedEvent, NormalizedUpdate
from .demo_live import live_orders, live_parcels_start
from .models import Shipment
from .statuses import TrackingStatus as S

CARRIERS = ("DHL", "UPS", "DPD", "USPS")
SHIPPED_STATES = (Order.FulfillmentStatus.FULFILLED, Order.FulfillmentStatus.PARTIALLY_FULFILLED,
                  Order.FulfillmentStatus.PARTIALLY_RETURNED, Order.FulfillmentStatus.RETURNED)
CITIES = (("Hamburg", "DE"), ("Köln", "DE"), ("Leipzig", "DE"), ("Lyon", "FR"),
          ("Madrid", "ES"), ("Chicago", "US"))

# A parcel's story by how old the order is and a roll of the dice: (status, hours after
# dispatch, message). The last line is where the parcel is now.
STORIES = {
    "delivered": [(S.PENDING, 0, "Label created"), (S.IN_TRANSIT, 10, "Departed facility"),
                  (S.IN_TRANSIT, 30, "Arrived at hub"), (S.OUT_FOR_DELIVERY, 50, "Out for delivery"),
                  (S.DELIVERED, 56, "Delivered, handed to resident")],
    "pickup": [(S.PENDING, 0, "Label created"), (S.IN_TRANSIT, 12, "Departed facility"),
               (S.AVAILABLE_FOR_PICKUP, 60, "Ready for collection at parcel shop")],
    "attempt": [(S.PENDING, 0, "Label created"), (S.IN_TRANSIT, 9, "Departed facility"),
                (S.OUT_FOR_DELIVERY, 40, "Out for delivery"),
                (S.ATTEMPT_FAILED, 47, "Recipient not at home, notice left")],
    "exception": [(S.PENDING, 0, "Label created"), (S.IN_TRANSIT, 11, "Departed facility"),
                  (S.EXCEPTION, 36, "Damaged in transit, inspection pending")],
    "in_transit": [(S.PENDING, 0, "Label created"), (S.IN_TRANSIT, 8, "Departed facility")],
    "out_for_delivery": [(S.PENDING, 0, "Label created"), (S.IN_TRANSIT, 8, "Departed facility"),
                         (S.OUT_FOR_DELIVERY, 30, "Out for delivery")],
    "label_only": [(S.PENDING, 0, "Label created")],
}


@dataclass
class ShipmentSeedResult:
    shipments: int = 0
    events: int = 0
    live: int = 0  # live parcels started (demo_live.py)


def _story(order: Order, rng: random.Random, now: datetime) -> str:
    age = now - order.placed_at
    if age > timedelta(days=10):
        return rng.choices(["delivered", "pickup", "exception"], [90, 5, 5])[0]
    if age > timedelta(days=4):
        return rng.choices(["delivered", "pickup", "attempt", "exception"], [70, 12, 10, 8])[0]
    return rng.choices(["in_transit", "out_for_delivery", "label_only", "delivered"], [45, 20, 15, 20])[0]


def seed_demo_shipments(tenant: Tenant, *, now: datetime | None = None,
                        live: bool | None = None) -> ShipmentSeedResult:
    """`live` (default: the DEMO_LIVE_PARCELS setting): the newest orders get live parcels
    instead of a history."""
    now = now or timezone.now()
    live = settings.DEMO_LIVE_PARCELS if live is None else live
    rng = random.Random(f"{tenant.slug}-shipments")
    result = ShipmentSeedResult()
    with tenant_scope(tenant):
        orders = list(Order.objects.filter(fulfillment_status__in=SHIPPED_STATES)
                      .select_related("customer").order_by("-placed_at", "pk"))
        moving = live_orders(orders) if live else []
        orders = [order for order in orders if order not in moving]
        existing = set(Shipment.objects.values_list("tracking_number", flat=True))
        updates = []
        # The newest parcels tell every story once, so the demo always shows each state.
        fixed = dict(zip([o.pk for o in orders], ["out_for_delivery", "in_transit", "label_only",
                                                   "attempt", "exception", "pickup"], strict=False))
        parcels = []
        for order in orders:
            carrier = rng.choice(CARRIERS)
            story = STORIES[fixed.get(order.pk) or _story(order, rng, now)]
            parcels.append((order, carrier, f"DEMO{order.pk:07d}{carrier[:2]}", story,
                            rng.choice(CITIES), order.placed_at + timedelta(hours=rng.randint(6, 30))))
        # Made oldest first, as they were shipped: the Shipments list (newest received first)
        # then opens on the newest, and the live parcels, made last, on top.
        for order, carrier, number, *_ in reversed(parcels):
            if number not in existing:
                services.shipment_create(tenant, carrier=carrier, tracking_number=number,
                                         order=order, actor="demo")
                result.shipments += 1
        if moving:
            result.live = live_parcels_start(tenant, moving, now=now)
        for _, carrier, number, story, (city, country), dispatched in parcels:
            events = [NormalizedEvent(
                tracking_number=number, carrier=carrier, status=status, source_code=status,
                source_subcode=None, message=text,
                occurred_at=min(dispatched + timedelta(hours=hours), now - timedelta(minutes=5)),
                location={"city": city, "country": country},
                exception_cause="carrier" if status == S.EXCEPTION else None,
                estimated_delivery=(dispatched + timedelta(days=3)).date(),
                dedup_key=f"demo:{number}:{index}", raw={})
                for index, (status, hours, text) in enumerate(story)]
            updates.append(NormalizedUpdate(
                source="generic", tracking_number=number, carrier=carrier, service=None,
                estimated_delivery=events[-1].estimated_delivery, events=events,
                provider_object_id=None))
        # In batches, as a worker would apply them.
        for start in range(0, len(updates), 50):
            result.events += services.updates_apply(tenant, updates[start:start + 50])
    return result
