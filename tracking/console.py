"""What tracking tells the agent console about an order (orders/signals.py): orders found by a
tracking number, each parcel's status and problems in a search result, the parcels' scans,
milestones, page views and ratings on the order's timeline, and the parcels on its page.

Each receiver is a fixed number of queries, whatever the number of parcels or scans.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, TypedDict

from django.db.models import OuterRef, Prefetch, Subquery

from orders.models import Order
from orders.signals import (
    OrderFlag,
    OrderSection,
    SearchHit,
    SearchQuery,
    TimelineEntry,
    TimelineKind,
    order_flags,
    order_search_hits,
    order_sections,
    order_timeline,
)
from tenants.models import Brand, Tenant
from tenants.permissions import Perm
from tenants.views.base import can

from .models import DeliveryFeedback, Shipment, ShipmentMilestone, ShipmentPageViewDay, TrackingEvent
from .selectors import tracking_page_url
from .statuses import Milestone, TrackingStatus

RESULTS = 20
# Badge colour per status, as on the shipments list.
STATUS_TONE: dict[str, str] = {
    TrackingStatus.DELIVERED: "success",
    TrackingStatus.IN_TRANSIT: "primary",
    TrackingStatus.OUT_FOR_DELIVERY: "primary",
    TrackingStatus.AVAILABLE_FOR_PICKUP: "warning",
    TrackingStatus.ATTEMPT_FAILED: "warning",
    TrackingStatus.EXCEPTION: "danger",
    TrackingStatus.RETURNED_TO_SENDER: "danger",
}
PROBLEM_STATUSES = {TrackingStatus.EXCEPTION, TrackingStatus.ATTEMPT_FAILED,
                    TrackingStatus.RETURNED_TO_SENDER}


def search_tracking_numbers(sender, *, tenant: Tenant, query: SearchQuery, **kwargs) -> list[SearchHit]:
    """Orders whose parcel has the typed tracking number (spaces and case ignored). Every
    carrier's numbers have digits; an e-mail address is none."""
    if len(query.token) < 4 or query.email or not any(ch.isdigit() for ch in query.token):
        return []
    numbers = list({query.token, query.text})
    rows = (Shipment.objects.filter(tracking_number__in=numbers, order__isnull=False)
            .values_list("order_id", flat=True)[:RESULTS])
    return [SearchHit(order_id, 1.0, "Tracking number") for order_id in rows]


def _rating() -> Subquery:
    """The shopper's rating of the parcel, a subquery of the parcels' query."""
    return Subquery(DeliveryFeedback.objects.filter(shipment=OuterRef("pk"))
                    .values("rating")[:1])


def flags_for_orders(sender, *, tenant: Tenant, order_ids: list[int], **kwargs) -> dict:
    """Each order's parcels (carrier, number, status) and their open problems: one query."""
    shipments = list(Shipment.objects.filter(order_id__in=order_ids)
                     .annotate(rating=_rating())
                     .order_by("created_at", "pk")
                     .only("pk", "order_id", "carrier", "tracking_number", "status", "delayed",
                           "stalled"))
    flags: dict[int, list[OrderFlag]] = defaultdict(list)
    for s in shipments:
        assert s.order_id is not None  # filtered by order
        status = TrackingStatus(s.status)
        flags[s.order_id].append(OrderFlag(f"{s.carrier} {s.tracking_number}: {status.label}",
                                           STATUS_TONE.get(s.status, ""),
                                           problem=s.status in PROBLEM_STATUSES))
        if s.delayed:
            flags[s.order_id].append(OrderFlag("Delayed", "warning", problem=True))
        if s.stalled:
            flags[s.order_id].append(OrderFlag("Stalled", "warning", problem=True))
        rating = s.rating
        if rating is not None and rating <= DeliveryFeedback.LOW_RATING:
            flags[s.order_id].append(OrderFlag(f"Rated {rating}★", "danger", problem=True))
    return flags


def _location(location: object) -> str:
    if not isinstance(location, dict):
        return ""
    parts = [location.get(k) for k in ("city", "state", "postal_code", "country")]
    return ", ".join(str(p) for p in parts if p)


class _ConsoleFields(TypedDict):
    tracking_domain: str
    rating: int | None


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    ConsoleShipment = WithAnnotations[Shipment, _ConsoleFields]

# The order's parcels, kept on the order object for the rest of the request.
_SHIPMENTS = "_console_shipments"


def order_shipments(order: Order) -> list[ConsoleShipment]:
    """The order's parcels with their scans and the store's tracking domain: two queries,
    once per request (the timeline and the parcels block share them)."""
    cached = getattr(order, _SHIPMENTS, None)
    if cached is not None:
        return cached
    shipments = list(Shipment.objects.filter(order_id=order.pk)
                .annotate(tracking_domain=Subquery(
                    Brand.objects.values("custom_tracking_domain")[:1]), rating=_rating())
                .prefetch_related(Prefetch("events", TrackingEvent.objects.order_by(
                    "occurred_at", "pk")))
                .order_by("created_at", "pk"))
    setattr(order, _SHIPMENTS, shipments)
    return shipments


def timeline_for_order(sender, *, tenant: Tenant, order: Order, **kwargs) -> list[TimelineEntry]:
    """Every scan (with the carrier's own words), milestone, day of page views and rating of
    the order's parcels: four queries."""
    shipments = order_shipments(order)
    if not shipments:
        return []
    by_id = {s.pk: s for s in shipments}
    entries: list[TimelineEntry] = []
    for s in shipments:
        parcel = f"{s.carrier} {s.tracking_number}"
        for event in s.events.all():
            status = TrackingStatus(event.status)
            code = " / ".join(c for c in (event.source_code, event.source_subcode) if c)
            entries.append(TimelineEntry(
                at=event.occurred_at, kind=TimelineKind.PARCEL, title=f"{parcel}: {status.label}",
                detail=" · ".join(p for p in (_location(event.location), code) if p),
                actor=f"carrier:{event.source}", raw=event.message,
                tone=STATUS_TONE.get(event.status, "")))
    for m in ShipmentMilestone.objects.filter(shipment_id__in=list(by_id)):
        s = by_id[m.shipment_id]
        entries.append(TimelineEntry(
            at=m.occurred_at, kind=TimelineKind.PARCEL,
            title=f"Milestone: {Milestone(m.milestone).label}",
            detail=f"{s.carrier} {s.tracking_number}", tone="primary"))
    for day in ShipmentPageViewDay.objects.filter(shipment_id__in=list(by_id)).order_by("day"):
        s = by_id[day.shipment_id]
        plural = "s" if day.views != 1 else ""
        entries.append(TimelineEntry(
            at=datetime.combine(day.day, time(0, 0), tzinfo=UTC), kind=TimelineKind.VIEW,
            title=f"Tracking page viewed {day.views} time{plural} ({day.get_source_display()})",
            detail=f"{s.carrier} {s.tracking_number} · {day.day:%d %b %Y}", actor="shopper"))
    for feedback in DeliveryFeedback.objects.filter(shipment_id__in=list(by_id)):
        s = by_id[feedback.shipment_id]
        entries.append(TimelineEntry(
            at=feedback.updated_at, kind=TimelineKind.FEEDBACK,
            title=f"Delivery rated {feedback.rating}★", raw=feedback.comment,
            detail=f"{s.carrier} {s.tracking_number}", actor="shopper",
            tone="danger" if feedback.low else "success"))
    return entries


def sections_for_order(sender, *, tenant: Tenant, order: Order, request, **kwargs) -> list[OrderSection]:
    """The parcels block: status, flags, the shopper's tracking page link, the parcel actions."""
    parcels = []
    for s in order_shipments(order):
        events = list(s.events.all())  # prefetched, oldest first
        parcels.append(Parcel(s, STATUS_TONE.get(s.status, ""),
                              tracking_page_url(s.public_token, domain=s.tracking_domain),
                              events[-1] if events else None))
    return [OrderSection("Parcels", "tracking/console/_parcels.html", {
        "parcels": parcels, "can_act": can(request, Perm.ORDERS_MANAGE)}, position=10)]


@dataclass
class Parcel:
    """A parcel as the order page's Parcels block shows it."""

    shipment: ConsoleShipment
    tone: str
    page_url: str
    last_scan: TrackingEvent | None


def connect() -> None:
    order_search_hits.connect(search_tracking_numbers, sender=Order, dispatch_uid="tracking.search")
    order_flags.connect(flags_for_orders, sender=Order, dispatch_uid="tracking.flags")
    order_timeline.connect(timeline_for_order, sender=Order, dispatch_uid="tracking.timeline")
    order_sections.connect(sections_for_order, sender=Order, dispatch_uid="tracking.sections")
