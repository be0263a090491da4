"""Reads of return policies and requests, and the facts the policy is evaluated on
(returns/policy.py): an order's items, what was delivered when, what is already on its way back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Prefetch, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from orders.models import LineItem, Order
from tenants.models import Tenant
from tenants.rls import cross_tenant
from tracking.selectors import shipments_for_order

from .models import (
    HOLDING_STATUSES,
    ReturnEvent,
    ReturnLine,
    ReturnPolicy,
    ReturnRequest,
    ReturnRule,
    ReturnStatus,
)
from .policy import Item, OrderFacts, Policy, policy_of

FULFILLED = (Order.FulfillmentStatus.FULFILLED, Order.FulfillmentStatus.PARTIALLY_RETURNED,
             Order.FulfillmentStatus.RETURNED)


# --- policy ----------------------------------------------------------------------------

def return_policy_get(tenant: Tenant) -> ReturnPolicy | None:
    """The version in force (the highest), with its rules; None before the retailer set one."""
    return (ReturnPolicy.objects.prefetch_related(
        Prefetch("rules", queryset=ReturnRule.objects.order_by("position")))
        .order_by("-version").first())


def return_policy_version(tenant: Tenant, policy_id: int) -> Policy:
    """A stored version as the evaluation sees it (a request is judged by its own version)."""
    row = ReturnPolicy.objects.prefetch_related(
        Prefetch("rules", queryset=ReturnRule.objects.order_by("position"))).get(pk=policy_id)
    return policy_of(row, row.rules.all())


# --- an order's facts ------------------------------------------------------------------

@dataclass(frozen=True)
class OrderReturnFacts:
    order: Order
    facts: OrderFacts
    items: list[Item]
    lines: dict[int, LineItem]  # line item id → line (with its product)


def shopper_zone(tenant: Tenant, order: Order) -> ZoneInfo:
    """The shopper's time zone, else the shop's, else UTC: the window is counted in it."""
    for name in ((order.customer.timezone if order.customer else ""), tenant.timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def order_return_facts(tenant: Tenant, order: Order, *, exclude_request_id: int | None = None,
                       is_gift: bool = False, now: datetime | None = None) -> OrderReturnFacts:
    """What the policy needs to know about an order: each line's product (category, tags),
    its delivery (the parcel that carried it, else the order's last), how many of it other
    requests already hold, and how often the shopper returned lately. Four queries."""
    now = now or timezone.now()
    lines = list(LineItem.objects.filter(order=order).select_related("product").order_by("position"))
    parcels = [s for s in shipments_for_order(tenant, order.pk)]
    delivered_by_line: dict[int, datetime] = {}
    shipped_lines: set[int] = set()
    parcel_without_items = False
    for parcel in parcels:
        carried = list(parcel.items.all())
        parcel_without_items |= not carried
        for si in carried:
            shipped_lines.add(si.line_item_id)
            if parcel.delivered_at:
                known = delivered_by_line.get(si.line_item_id)
                delivered_by_line[si.line_item_id] = max(filter(None, (known, parcel.delivered_at)))
    delivered = [p.delivered_at for p in parcels if p.delivered_at]
    held = ReturnLine.objects.filter(line_item__in=[line.pk for line in lines],
                                     request__status__in=HOLDING_STATUSES)
    if exclude_request_id is not None:
        held = held.exclude(request_id=exclude_request_id)
    held_by_line = dict(held.values("line_item").annotate(n=Sum("quantity"))
                        .values_list("line_item", "n"))
    recent = 0
    if order.customer_id:
        recent_qs = ReturnRequest.objects.filter(
            customer_id=order.customer_id, created_at__gte=now - timedelta(days=90)).exclude(
            status=ReturnStatus.CANCELLED)
        if exclude_request_id is not None:
            recent_qs = recent_qs.exclude(pk=exclude_request_id)
        recent = recent_qs.count()
    everything_shipped = parcel_without_items or order.fulfillment_status in FULFILLED
    items = [Item(
        line_item_id=line.pk, title=line.title, unit_price=line.unit_price,
        quantity=line.quantity,
        category=line.product.category if line.product else "",
        tags=tuple(t for t in (line.product.tags if line.product else []) or []
                   if isinstance(t, str)),
        already_returned=held_by_line.get(line.pk, 0) or 0,
        shipped=everything_shipped or line.pk in shipped_lines,
        delivered_at=delivered_by_line.get(line.pk),
    ) for line in lines]
    facts = OrderFacts(placed_at=order.placed_at, total=order.total, currency=order.currency,
                       delivered_at=max(delivered) if delivered else None,
                       zone=shopper_zone(tenant, order), is_gift=is_gift,
                       returns_last_90d=recent)
    return OrderReturnFacts(order=order, facts=facts, items=items,
                            lines={line.pk: line for line in lines})


# --- requests --------------------------------------------------------------------------

# The queue's "waiting longer than" choices (the dashboard's and the API's `age`), in days.
QUEUE_AGES = {"2d": 2, "7d": 7, "30d": 30}


def return_request_list(tenant: Tenant, *, status: str | None = None, reason: str | None = None,
                        needs_review: bool | None = None, order_id: int | None = None,
                        created_before: datetime | None = None,
                        created_after: datetime | None = None) -> QuerySet[ReturnRequest]:
    """Requests, newest first, with their order, shopper and lines (a fixed number of queries
    per page)."""
    qs = ReturnRequest.objects.select_related("order", "customer", "policy").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("line_item")
                 .prefetch_related("photos")))
    if status:
        qs = qs.filter(status=status)
    if needs_review is not None:
        qs = (qs.filter(status=ReturnStatus.NEEDS_REVIEW) if needs_review
              else qs.exclude(status=ReturnStatus.NEEDS_REVIEW))
    if reason:
        qs = qs.filter(pk__in=ReturnLine.objects.filter(reason=reason).values("request_id"))
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    if created_before is not None:
        qs = qs.filter(created_at__lt=created_before)
    if created_after is not None:
        qs = qs.filter(created_at__gte=created_after)
    return qs


def _detail(qs: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    return qs.select_related("order", "customer", "policy").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related(
            "line_item", "exchange_product").prefetch_related("photos")),
        Prefetch("events", queryset=ReturnEvent.objects.order_by("occurred_at", "pk")))


def return_request_get(tenant: Tenant, request_id: object) -> ReturnRequest:
    """One request with its lines, photos and timeline (404 alike for missing and not ours)."""
    try:
        return _detail(ReturnRequest.objects.all()).get(pk=request_id)  # type: ignore[misc]
    except (ReturnRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("return not found") from None


def return_request_by_token(token: str) -> ReturnRequest | None:
    """The request a shopper's status link names (the token names the tenant)."""
    if not token or len(token) > 40:
        return None
    with cross_tenant("the return's public token names the tenant"):
        return (ReturnRequest.objects.unscoped(reason="the return's public token names the tenant")
                .select_related("tenant").filter(public_token=token).first())


def return_requests_for_order(tenant: Tenant, order_id: int) -> list[ReturnRequest]:
    return list(_detail(ReturnRequest.objects.filter(order_id=order_id)).order_by("created_at"))


def return_status_url(tenant: Tenant, public_token: str, *, domain: str | None) -> str:
    """A return's status page for the shopper: on the store's own tracking `domain` when it
    mapped one, else on PUBLIC_BASE_URL (as tracking_page_url for a parcel)."""
    if domain:
        return f"https://{domain}/returns/{public_token}/"
    return f"{settings.PUBLIC_BASE_URL}/s/{tenant.slug}/returns/{public_token}/"


def return_message_data(tenant: Tenant, request_ids: Iterable[int], *,
                        domain: str | None) -> dict[int, dict]:
    """What a message about a return shows (docs/templates.md `return_request`), by request
    id: one query for the batch."""
    ids = [pk for pk in set(request_ids) if pk]
    rows = ReturnRequest.objects.filter(pk__in=ids) if ids else ReturnRequest.objects.none()
    return {r.pk: {
        "number": r.number, "status": r.status, "resolution": r.resolution,
        "method": r.method, "currency": r.currency, "refund_amount": r.refund_amount,
        "credit_amount": r.credit_amount, "settled_amount": r.settled_amount,
        "rejection_reason": r.rejection_reason, "label_url": r.label_url,
        "status_url": return_status_url(tenant, r.public_token, domain=domain),
    } for r in rows}
