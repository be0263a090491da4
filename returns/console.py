"""What returns tells the agent console about an order (orders/signals.py): orders found by a
return number or a return label's tracking number, open returns flagged in search results,
and the order page's Returns block with "Start a return" for members who may. The return's
steps are on the order's timeline already (return_event_record writes each there too).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from orders.models import Order
from orders.signals import (
    OrderFlag,
    OrderSection,
    SearchHit,
    SearchQuery,
    order_flags,
    order_search_hits,
    order_sections,
)
from tenants.models import Tenant
from tenants.permissions import Perm
from tenants.views.base import can

from .models import FINAL_STATUSES, Resolution, ReturnMethod, ReturnReason, ReturnRequest, ReturnStatus
from .selectors import return_policy_get, return_requests_for_order

RESULTS = 20
# Waiting for the retailer: a person should act on these.
WAITING = {ReturnStatus.REQUESTED, ReturnStatus.NEEDS_REVIEW, ReturnStatus.RECEIVED}


def search_return_numbers(sender, *, tenant: Tenant, query: SearchQuery, **kwargs) -> list[SearchHit]:
    if len(query.token) < 3 or query.email or not any(ch.isdigit() for ch in query.token):
        return []  # return numbers ("R-1001-1") and tracking numbers have digits
    rows = (ReturnRequest.objects
            .filter(Q(number__in={query.text, query.token}) | Q(label_tracking_number=query.token))
            .values_list("order_id", "number")[:RESULTS])
    return [SearchHit(order_id, 1.0, "Return number" if number in (query.text, query.token)
                      else "Return label tracking number") for order_id, number in rows]


def flags_for_orders(sender, *, tenant: Tenant, order_ids: list[int], **kwargs) -> dict:
    """Each order's returns still open (one query)."""
    flags: dict[int, list[OrderFlag]] = defaultdict(list)
    for order_id, number, status in (ReturnRequest.objects.filter(order_id__in=order_ids)
                                     .exclude(status__in=FINAL_STATUSES)
                                     .order_by("created_at").values_list("order_id", "number",
                                                                         "status")):
        waiting = status in WAITING
        flags[order_id].append(OrderFlag(
            f"Return {number}: {ReturnStatus(status).label}" + (" (waiting)" if waiting else ""),
            "warning" if waiting else "primary", problem=waiting))
    return flags


def sections_for_order(sender, *, tenant: Tenant, order: Order, request, **kwargs) -> list[OrderSection]:
    returns = return_requests_for_order(tenant, order.pk)
    can_start = can(request, Perm.RETURNS_MANAGE) and return_policy_get(tenant) is not None
    return [OrderSection("Returns", "returns/console/_returns.html", {
        "returns": returns, "can_start": can_start,
        "reasons": ReturnReason.choices,
        "resolutions": [c for c in Resolution.choices if c[0] != Resolution.KEEP_IT],
        "methods": [c for c in ReturnMethod.choices if c[0] == ReturnMethod.SELF_SHIP],
    }, position=20)]


def connect() -> None:
    order_search_hits.connect(search_return_numbers, sender=Order, dispatch_uid="returns.search")
    order_flags.connect(flags_for_orders, sender=Order, dispatch_uid="returns.flags")
    order_sections.connect(sections_for_order, sender=Order, dispatch_uid="returns.sections")
