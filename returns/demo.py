"""Demo returns for the "Acme Outdoor" store: a return policy, and 30 returns of delivered
orders in every state a returns team meets, with a mix of reasons and one refund that is late,
made through the returns services (the policy judges each, every step is an event on the
return's and the order's timeline).

    policy      30 days (45 for footwear), consumables final, store credit +10 %, a 4.95
                return fee waived for credit and exchanges, cheap damaged items kept, damaged
                or wrong items above 25.00 looked at by a person, fraud guard
    returns     approved, needs_review, in_transit, received (one past its refund day, told
                "refund_delayed"), refunded (one kept), credited, exchanged, rejected,
                cancelled; each a few days after its parcel arrived

The history is more than a day old, so nothing is messaged (messaging's stale_after, as for the
demo's parcels). Idempotent: each return has its slot in `created_by` ("demo:refunded-2") and
a slot already filled is skipped; the policy is written only when the store has none (a
retailer's edit is kept). Deterministic: candidates are the delivered orders, newest first.

`requested` and `label_ready` are not among them: a request is judged when it is made, so it
leaves `requested` at once (approved or needs_review), and the demo store has no label carrier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from orders.models import LineItem, Order, Product
from tenants.context import tenant_scope
from tenants.models import Tenant
from tracking.models import Shipment

from . import services
from .models import (
    CreatedVia,
    ItemCondition,
    Resolution,
    ReturnMethod,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)
from .selectors import return_policy_get

ACTOR = "demo"
S, R, Why = ReturnStatus, Resolution, ReturnReason
KEEP_BELOW = Decimal("25.00")
REVIEW_ABOVE = Decimal("25.00")

POLICY: dict[str, Any] = {
    "window_days": 30, "category_window_days": {"Footwear": 45},
    "non_returnable_tags": ["consumable"], "final_sale_tags": ["final-sale"],
    "store_credit_bonus_percent": Decimal("10"), "return_shipping_fee": Decimal("4.95"),
    "fees_waived_for": [R.STORE_CREDIT, R.EXCHANGE],
    "fraud_max_returns_90d": 4, "fraud_review_above_value": Decimal("600"),
    "refund_due_business_days": 5,
    "return_address": {"name": "Acme Outdoor Returns", "address1": "Lagerstraße 12",
                       "city": "Hamburg", "postcode": "20457", "country_code": "DE"},
}
RULES = [
    # A cheap damaged item is not worth the trip back: refunded, kept.
    services.RuleInput(reasons=[Why.DAMAGED, Why.WRONG_ITEM], max_unit_price=KEEP_BELOW,
                       resolutions=[R.KEEP_IT, R.REFUND, R.STORE_CREDIT]),
    # Above it, a person looks at the photos first.
    services.RuleInput(reasons=[Why.DAMAGED, Why.WRONG_ITEM], needs_review=True,
                       resolutions=[R.REFUND, R.STORE_CREDIT, R.EXCHANGE]),
]


@dataclass(frozen=True)
class Slot:
    key: str  # "refunded-2": its place in the demo, kept in created_by
    target: str  # the status it ends in
    reason: str
    resolution: str
    note: str = ""  # a rejection's reason
    delayed: bool = False  # received, refund past its due day
    cheapest: bool = False  # pick the order's cheapest line (keep it)

    @property
    def days(self) -> int:
        """Days its story takes after it was started (its last step's)."""
        if self.delayed:
            return 14
        days: dict[str, int] = {S.IN_TRANSIT: 1, S.RECEIVED: 3, S.REFUNDED: 5, S.CREDITED: 5,
                                S.EXCHANGED: 5, S.REJECTED: 1, S.CANCELLED: 1}
        return days.get(self.target, 0)


def _slots(target: str, *specs: tuple) -> list[Slot]:
    return [Slot(f"{target}-{n}", target, *spec) for n, spec in enumerate(specs, 1)]


SLOTS: list[Slot] = [
    *_slots(S.APPROVED, (Why.TOO_SMALL, R.REFUND), (Why.CHANGED_MIND, R.STORE_CREDIT),
            (Why.TOO_LARGE, R.EXCHANGE), (Why.QUALITY, R.REFUND)),
    *_slots(S.NEEDS_REVIEW, (Why.DAMAGED, R.REFUND), (Why.WRONG_ITEM, R.STORE_CREDIT),
            (Why.DAMAGED, R.STORE_CREDIT), (Why.WRONG_ITEM, R.REFUND)),
    *_slots(S.IN_TRANSIT, (Why.TOO_LARGE, R.REFUND), (Why.NOT_AS_DESCRIBED, R.STORE_CREDIT),
            (Why.CHANGED_MIND, R.REFUND)),
    Slot("received-1", S.RECEIVED, Why.TOO_SMALL, R.REFUND, delayed=True),
    *[Slot(f"received-{n}", S.RECEIVED, reason, resolution) for n, (reason, resolution) in
      enumerate([(Why.QUALITY, R.REFUND), (Why.ARRIVED_LATE, R.STORE_CREDIT),
                 (Why.TOO_LARGE, R.EXCHANGE)], 2)],
    *_slots(S.REFUNDED, (Why.TOO_SMALL, R.REFUND), (Why.CHANGED_MIND, R.REFUND),
            (Why.NOT_AS_DESCRIBED, R.REFUND)),
    Slot("refunded-4", S.REFUNDED, Why.DAMAGED, R.KEEP_IT, cheapest=True),
    *_slots(S.CREDITED, (Why.CHANGED_MIND, R.STORE_CREDIT), (Why.TOO_LARGE, R.STORE_CREDIT),
            (Why.QUALITY, R.STORE_CREDIT)),
    *_slots(S.EXCHANGED, (Why.TOO_SMALL, R.EXCHANGE), (Why.TOO_LARGE, R.EXCHANGE)),
    *_slots(S.REJECTED, (Why.CHANGED_MIND, R.REFUND, "Worn outdoors; the tags are missing."),
            (Why.DAMAGED, R.REFUND, "The photos show wear from use, not damage in transit."),
            (Why.OTHER, R.STORE_CREDIT, "Bought at another shop: please return it there.")),
    *_slots(S.CANCELLED, (Why.TOO_SMALL, R.REFUND), (Why.OTHER, R.REFUND),
            (Why.CHANGED_MIND, R.STORE_CREDIT)),
]


@dataclass
class ReturnSeedResult:
    policy: int = 0
    returns: int = 0


def _candidates(tenant: Tenant) -> list[tuple[Order, datetime, list[LineItem]]]:
    """Delivered orders, newest delivery first, with their lines (priciest first)."""
    parcels = (Shipment.objects.filter(status="delivered", delivered_at__isnull=False,
                                       order__isnull=False, is_return=False)
               .order_by("-delivered_at", "pk").values_list("order_id", "delivered_at"))
    delivered: dict[int, datetime] = {}
    for order_id, at in parcels:
        if order_id is not None and at is not None:  # filtered above; the types cannot know
            delivered.setdefault(order_id, at)
    orders = Order.objects.in_bulk(list(delivered))
    lines: dict[int, list[LineItem]] = {}
    for line in (LineItem.objects.filter(order_id__in=list(delivered)).select_related("product")
                 .order_by("-unit_price", "position")):
        lines.setdefault(line.order_id, []).append(line)
    return [(orders[pk], at, lines.get(pk, [])) for pk, at in delivered.items()]


def _exchange_for(line: LineItem) -> int | None:
    """Another product of the same category, in stock (the size or colour wanted)."""
    if line.product is None:
        return None
    other = (Product.objects.filter(category=line.product.category, in_stock=True)
             .exclude(pk=line.product.pk).order_by("pk").first())
    return other.pk if other else None


def _start(tenant: Tenant, slot: Slot, order: Order, line: LineItem,
           at: datetime) -> ReturnRequest | None:
    """Start the slot's return for this line, or None when the policy says no (or would not
    send it to review when the slot needs it)."""
    wanted = [services.LineRequest(
        line.pk, 1, slot.reason, comment="",
        exchange_product_id=_exchange_for(line) if slot.resolution == R.EXCHANGE else None)]
    method = ReturnMethod.NONE if slot.resolution == R.KEEP_IT else ReturnMethod.SELF_SHIP
    try:
        quote = services.return_quote(tenant, order, wanted, slot.resolution, now=at)
        if (slot.target == S.NEEDS_REVIEW) != bool(quote.review):
            return None
        return services.return_request_create(
            tenant, order.pk, wanted, resolution=slot.resolution, method=method,
            created_via=CreatedVia.DEMO, actor=f"{ACTOR}:{slot.key}", now=at,
            photos_required=False)
    except services.ReturnRefused:
        return None


def _story(tenant: Tenant, slot: Slot, request: ReturnRequest, at: datetime) -> None:
    """Take the slot's return from where the policy left it to its target status."""
    step = timedelta(days=1)
    if request.status == S.NEEDS_REVIEW and slot.target != S.NEEDS_REVIEW:
        if slot.target == S.REJECTED:
            services.return_reject(tenant, request.pk, reason=slot.note, actor=ACTOR, now=at + step)
            return
        services.return_approve(tenant, request.pk, actor=ACTOR, now=at + step / 2)
    if slot.target == S.REJECTED and request.status != S.REJECTED:
        services.return_reject(tenant, request.pk, reason=slot.note, actor=ACTOR, now=at + step)
    elif slot.target == S.CANCELLED:
        services.return_cancel(tenant, request.pk, actor="shopper", now=at + step)
    elif slot.target == S.REFUNDED and slot.resolution == R.KEEP_IT:
        services.return_settle(tenant, request.pk, amount=request.refund_amount,
                               reference="DEMO-RF-KEEP", actor=ACTOR, now=at + step)
    elif slot.target in (S.IN_TRANSIT, S.RECEIVED, S.REFUNDED, S.CREDITED, S.EXCHANGED):
        services.return_mark_in_transit(tenant, request.pk, actor="carrier", now=at + step)
        if slot.target == S.IN_TRANSIT:
            return
        line = request.lines.get()
        received_at = at + 3 * step
        services.return_receive(tenant, request.pk, actor=ACTOR, now=received_at,
                                lines={line.pk: (line.quantity, ItemCondition.AS_NEW)})
        if slot.delayed:
            # The shop's daily check, a week past the due day: the shopper was told, once.
            services.returns_refund_delayed_check(tenant, now=received_at + 11 * step)
        if slot.target == S.RECEIVED:
            return
        amount = request.credit_amount if slot.resolution == R.STORE_CREDIT else (
            request.refund_amount if slot.resolution == R.REFUND else request.items_value)
        services.return_settle(tenant, request.pk, amount=amount,
                               reference=f"DEMO-{slot.key.upper()}", actor=ACTOR,
                               now=at + 5 * step)


def seed_demo_returns(tenant: Tenant, *, now: datetime | None = None) -> ReturnSeedResult:
    """Create whatever of the demo's returns is missing (see the module's docstring)."""
    now = now or timezone.now()
    # Every step at least a day and a half old: history, never news (no message).
    latest = now - timedelta(hours=36)
    result = ReturnSeedResult()
    with tenant_scope(tenant):
        if return_policy_get(tenant) is None:
            services.return_policy_update(tenant, actor=ACTOR, rules=RULES, **POLICY)
            result.policy = 1
        filled = set(ReturnRequest.objects.filter(created_via=CreatedVia.DEMO)
                     .values_list("created_by", flat=True))
        used = set(ReturnRequest.objects.values_list("order_id", flat=True))
        candidates = _candidates(tenant)
        # The delayed refund first: it must be the only received return old enough to be late.
        for slot in sorted(SLOTS, key=lambda s: not s.delayed):
            if f"{ACTOR}:{slot.key}" in filled:
                continue
            request = None
            for order, delivered_at, lines in candidates:
                at = delivered_at + timedelta(days=1, hours=2)
                if order.pk in used or at + timedelta(days=slot.days) > latest:
                    continue
                for line in (reversed(lines) if slot.cheapest else lines):
                    request = _start(tenant, slot, order, line, at)
                    if request is not None:
                        break
                if request is not None:
                    used.add(order.pk)
                    # The queue shows how long each has waited: when it was started.
                    ReturnRequest.objects.filter(pk=request.pk).update(created_at=at)
                    _story(tenant, slot, request, at)
                    result.returns += 1
                    break
    return result
