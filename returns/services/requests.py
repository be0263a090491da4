"""Starting a return: the policy (returns/policy.py) judges every line, the request is written
with the version it was judged under, and it is approved at once or waits for review.

    return_quote(...)           what the shopper sees before confirming (nothing written)
    return_request_create(...)  the same checks again, under a lock on the order, then the rows
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError, NotFound
from orders.models import Order, Product
from tenants.models import Tenant

from ..models import (
    PHOTO_REASONS,
    CreatedVia,
    Resolution,
    ReturnLine,
    ReturnMethod,
    ReturnMilestone,
    ReturnPolicy,
    ReturnRequest,
    ReturnStatus,
)
from ..photos import MAX_PER_LINE, CleanPhoto, photo_store
from ..policy import REVIEW_TEXT, Pick, Quote, item_decide, policy_of, quote, resolutions_allowed
from ..selectors import OrderReturnFacts, order_return_facts, return_policy_get
from .labels import return_label_queue
from .timeline import return_event_record, return_milestone_record


class ReturnRefused(ApplicationError):
    """The policy or the order says no; `code` says which rule, `details` which line."""

    code = "return_refused"
    default_message = "This return cannot be made."


@dataclass(frozen=True)
class LineRequest:
    line_item_id: int
    quantity: int
    reason: str
    comment: str = ""
    exchange_product_id: int | None = None
    # Photos sent with the line, checked and re-encoded (returns.photos.photo_clean); a
    # damaged or wrong item asks for one when the shopper starts the return.
    photos: tuple[CleanPhoto, ...] = ()


@dataclass(frozen=True)
class Judged:
    policy: ReturnPolicy
    picks: list[Pick]
    quote: Quote
    facts: OrderReturnFacts


def _judge(tenant: Tenant, order: Order, lines: list[LineRequest], resolution: str, *,
           is_gift: bool, now: datetime, photos_required: bool) -> Judged:
    row = return_policy_get(tenant)
    if row is None:
        raise ReturnRefused("This shop does not take returns online.", code="returns_disabled")
    policy = policy_of(row, row.rules.all())
    facts = order_return_facts(tenant, order, is_gift=is_gift, now=now)
    items = {item.line_item_id: item for item in facts.items}
    if not lines:
        raise ReturnRefused("Choose at least one item to return.", code="no_items")
    seen: set[int] = set()
    picks = []
    for line in lines:
        where = {"line_item_id": line.line_item_id}
        item = items.get(line.line_item_id)
        if item is None:
            raise ReturnRefused("This item is not part of the order.", code="unknown_item",
                                details=where)
        if line.line_item_id in seen:
            raise ReturnRefused("Each item can be listed once.", code="duplicate_item",
                                details=where)
        seen.add(line.line_item_id)
        decision = item_decide(policy, facts.facts, item, now)
        if not decision.eligible:
            raise ReturnRefused(decision.why_not_text, code=decision.why_not, details=where)
        if not 1 <= line.quantity <= item.returnable_quantity:
            raise ReturnRefused(
                f"Choose between 1 and {item.returnable_quantity} of {item.title}.",
                code="quantity_too_high" if line.quantity > 0 else "quantity_too_low",
                details={**where, "returnable_quantity": item.returnable_quantity})
        if line.reason not in policy.reasons:
            raise ReturnRefused("Choose one of the shop's return reasons.",
                                code="reason_not_offered", details=where)
        if photos_required and line.reason in PHOTO_REASONS and not line.photos:
            raise ReturnRefused("Add a photo of the item for this reason.", code="photo_required",
                                details=where)
        picks.append(Pick(item=item, quantity=line.quantity, reason=line.reason))
    allowed = resolutions_allowed(policy, picks, is_gift=is_gift)
    if resolution not in allowed:
        raise ReturnRefused("This resolution is not offered for these items.",
                            code="resolution_not_allowed", details={"allowed": list(allowed)})
    return Judged(policy=row, picks=picks, quote=quote(policy, facts.facts, picks, resolution),
                  facts=facts)


def return_quote(tenant: Tenant, order: Order, lines: list[LineRequest], resolution: str, *,
                 is_gift: bool = False, now: datetime | None = None) -> Quote:
    """The amounts before confirming; raises ReturnRefused as creating would."""
    return _judge(tenant, order, lines, resolution, is_gift=is_gift, now=now or timezone.now(),
                  photos_required=False).quote


def _exchange_products(tenant: Tenant, judged: Judged, lines: list[LineRequest]) -> dict[int, int]:
    """line item id → the variant asked for: in stock, another product of the same family (the
    same category and title before " - ", as catalogs name variants), never the item itself."""
    wanted = {line.line_item_id: line.exchange_product_id for line in lines
              if line.exchange_product_id is not None}
    products = Product.objects.in_bulk(list(wanted.values()))
    chosen = {}
    for line_item_id, product_id in wanted.items():
        line = judged.facts.lines[line_item_id]
        product = products.get(product_id)
        if (product is None or not product.in_stock or line.product is None
                or product.pk == line.product_id or product.category != line.product.category):
            raise ReturnRefused("This variant cannot be exchanged for the item.",
                                code="exchange_not_available",
                                details={"line_item_id": line_item_id})
        chosen[line_item_id] = product.pk
    return chosen


def return_request_create(tenant: Tenant, order_id: int, lines: list[LineRequest], *,
                          resolution: str, method: str, created_via: str = CreatedVia.SHOPPER,
                          actor: str = "", locale: str = "", is_gift: bool = False,
                          label_available: bool = False, now: datetime | None = None,
                          photos_required: bool = True) -> ReturnRequest:
    """Judge and write a request. The order row is locked first, so two requests for the same
    order (two tabs, a double tap) see each other's quantities: the second finds them taken.
    Approved at once unless the policy or the fraud guard asks for review."""
    now = now or timezone.now()
    if method not in ReturnMethod.values:
        raise ReturnRefused("Choose how the items come back.", code="method_unknown")
    keep = resolution == Resolution.KEEP_IT
    if keep != (method == ReturnMethod.NONE):
        raise ReturnRefused("Kept items are not sent back; others are.", code="method_mismatch")
    if method == ReturnMethod.LABEL and not label_available:
        raise ReturnRefused("This shop does not issue prepaid labels; ship it yourself.",
                            code="label_not_available")
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("customer").filter(
            pk=order_id).first()
        if order is None:
            raise NotFound("Order not found.")
        judged = _judge(tenant, order, lines, resolution, is_gift=is_gift, now=now,
                        photos_required=photos_required and created_via == CreatedVia.SHOPPER)
        exchange = _exchange_products(tenant, judged, lines) if resolution == Resolution.EXCHANGE else {}
        count = ReturnRequest.objects.filter(order=order).count()
        q = judged.quote
        request = ReturnRequest.objects.create(
            tenant=tenant, order=order, customer=order.customer, policy=judged.policy,
            number=f"R-{order.number.lstrip('#')}-{count + 1}"[:48],
            status=ReturnStatus.NEEDS_REVIEW if q.review else ReturnStatus.APPROVED,
            resolution=resolution, method=method, created_via=created_via,
            created_by=actor[:200], locale=locale[:10], review_reasons=list(q.review),
            currency=order.currency, items_value=q.items_value, fee=q.fee,
            refund_amount=q.refund, credit_amount=q.credit)
        by_id = {line.line_item_id: line for line in lines}
        ReturnLine.objects.bulk_create([ReturnLine(
            tenant=tenant, request=request, line_item_id=pick.item.line_item_id,
            quantity=pick.quantity, reason=pick.reason,
            comment=by_id[pick.item.line_item_id].comment[:1000],
            unit_price=pick.item.unit_price,
            exchange_product_id=exchange.get(pick.item.line_item_id)) for pick in judged.picks])
        for row in ReturnLine.objects.filter(request=request):
            for photo in by_id[row.line_item_id].photos[:MAX_PER_LINE]:
                photo_store(tenant, row, photo)
        items = sum(p.quantity for p in judged.picks)
        return_event_record(tenant, request, f"Requested ({items} item{'s' if items != 1 else ''})",
                            status=ReturnStatus.REQUESTED, actor=actor, occurred_at=now,
                            data={"created_via": created_via, "resolution": resolution})
        return_milestone_record(tenant, request, ReturnMilestone.RETURN_REQUESTED, occurred_at=now)
        if q.review:
            return_event_record(tenant, request, "Waiting for review: " + "; ".join(
                REVIEW_TEXT[r] for r in q.review), status=ReturnStatus.NEEDS_REVIEW,
                actor="policy", occurred_at=now, public=False)
        else:
            return_event_record(tenant, request, "Approved by the return policy",
                                status=ReturnStatus.APPROVED, actor="policy", occurred_at=now)
            return_milestone_record(tenant, request, ReturnMilestone.RETURN_APPROVED,
                                    occurred_at=now)
            if method == ReturnMethod.LABEL:
                return_label_queue(tenant, request)
    return request
