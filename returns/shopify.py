"""Shopify's refunds/create marks the matching return refunded (tracking.signals).

The refund names the order and the lines refunded (our line item ids, matched by tracking's
Shopify integration). The return it settles is the order's open refund (or keep-it) return
whose lines are all among the refunded ones, the oldest first. Idempotent: the refund's id is
the settlement's reference (`shopify-refund:<id>`), so a replay or a duplicate delivery
settles nothing twice. A refund for a return not received yet settles nothing (the returns
team records it when the parcel is in) and says so on the return's timeline, once.
"""

from __future__ import annotations

from django.utils import timezone

from config.errors import Conflict
from orders.models import Order
from tenants.models import Tenant
from tracking.signals import ShopifyRefund, shopify_refund_created

from .models import FINAL_STATUSES, Resolution, ReturnEvent, ReturnMethod, ReturnRequest, ReturnStatus
from .services import return_settle
from .services.timeline import return_event_record

ACTOR = "shopify"


def _reference(refund: ShopifyRefund) -> str:
    return f"shopify-refund:{refund.id}"


def return_shopify_refund(sender, *, tenant: Tenant, refund: ShopifyRefund, **kwargs) -> int:
    """Receiver of tracking's shopify_refund_created: returns how many returns it settled."""
    reference = _reference(refund)
    candidates = ReturnRequest.objects.filter(
        order_id=refund.order_id, resolution__in=[Resolution.REFUND, Resolution.KEEP_IT],
    ).prefetch_related("lines").order_by("created_at", "pk")
    if any(r.settled_reference == reference for r in candidates):
        return 0  # this refund settled one already
    refunded = {line_item_id: quantity for line_item_id, quantity in refund.lines}
    for request in candidates:
        if request.status in FINAL_STATUSES:
            continue
        lines = list(request.lines.all())
        if not lines or any(refunded.get(line.line_item_id, 0) < line.quantity for line in lines):
            continue
        settleable = (ReturnStatus.APPROVED if request.method == ReturnMethod.NONE
                      else ReturnStatus.RECEIVED)
        if request.status != settleable:
            if not ReturnEvent.objects.filter(request=request, data__reference=reference).exists():
                return_event_record(
                    tenant, request, f"Refunded in Shopify ({refund.amount} {refund.currency}) "
                    "before the return was received: record it once the parcel is in",
                    actor=ACTOR, public=False, occurred_at=refund.created_at or timezone.now(),
                    data={"reference": reference, "amount": str(refund.amount)})
            return 0
        try:
            return_settle(tenant, request.pk, amount=refund.amount, reference=reference,
                          actor=ACTOR, now=refund.created_at or timezone.now())
        except Conflict:
            return 0  # settled meanwhile
        return 1
    return 0


def connect() -> None:
    shopify_refund_created.connect(return_shopify_refund, sender=Order,
                                   dispatch_uid="returns.shopify_refund")
