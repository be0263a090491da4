"""The return policy, evaluated in one place: the portal, the API, the dashboard and the demo ask
here whether an item can go back, how, at what cost, and whether a person must look first.

    item_decide(policy, order, item, now)          may it go back at all? until when? or why not
    outcome_for(policy, item, reason)              which resolutions (first matching rule), review?
    quote(policy, order, picks, resolution)        the amounts the shopper sees before confirming,
                                                   and the reasons it goes to review (fraud guard)

Everything here is pure: facts in (dataclasses the selectors fill), decisions out, no queries,
so the table of policy tests (returns/tests/test_policy.py) runs without a database. Reasons
an item cannot go back are codes with the shopper's words (`why_not_text`, translated).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from .models import Resolution, ReturnPolicy, ReturnReason, ReturnRule

CENT = Decimal("0.01")


class WhyNot:
    """Why an item cannot go back (codes are stable: the API returns them)."""

    WINDOW_CLOSED = "window_closed"
    NON_RETURNABLE_CATEGORY = "non_returnable_category"
    NON_RETURNABLE_TAG = "non_returnable_tag"
    FINAL_SALE = "final_sale"
    ALREADY_RETURNED = "already_returned"
    GIFT_NOT_RETURNABLE = "gift_not_returnable"
    NOT_SHIPPED = "not_shipped"


_WHY_NOT_TEXT = {
    WhyNot.WINDOW_CLOSED: _("The return window for this item closed on %(date)s."),
    WhyNot.NON_RETURNABLE_CATEGORY: _("Items of this kind cannot be returned."),
    WhyNot.NON_RETURNABLE_TAG: _("This item cannot be returned."),
    WhyNot.FINAL_SALE: _("This item was sold as final sale and cannot be returned."),
    WhyNot.ALREADY_RETURNED: _("This item has already been returned."),
    WhyNot.GIFT_NOT_RETURNABLE: _("Gifts from this shop cannot be returned online."),
    WhyNot.NOT_SHIPPED: _("This item has not been sent yet."),
}


class Review:
    """Why a request waits for a person before it is approved."""

    RULE = "rule"  # a rule of the policy says so for this item and reason
    ORDER_VALUE = "order_value"  # the order is worth more than the policy reviews above
    FREQUENT_RETURNS = "frequent_returns"  # more returns in 90 days than the fraud guard allows
    HIGH_VALUE = "high_value"  # the return is worth more than the fraud guard allows


REVIEW_TEXT = {
    Review.RULE: "A rule of the policy asks for review",
    Review.ORDER_VALUE: "Order above the value returned without review",
    Review.FREQUENT_RETURNS: "Shopper returned often in the last 90 days",
    Review.HIGH_VALUE: "Return worth more than the fraud guard allows",
}


@dataclass(frozen=True)
class Policy:
    """A policy version with its rules, as evaluation needs it (`policy_of` builds one)."""

    window_days: int = 30
    category_window_days: dict[str, int] = field(default_factory=dict)
    non_returnable_categories: frozenset[str] = frozenset()
    non_returnable_tags: frozenset[str] = frozenset()
    final_sale_tags: frozenset[str] = frozenset({"final-sale"})
    gift_returns_allowed: bool = True
    review_above_order_value: Decimal | None = None
    reasons: tuple[str, ...] = tuple(ReturnReason.values)
    default_resolutions: tuple[str, ...] = (Resolution.REFUND, Resolution.STORE_CREDIT,
                                            Resolution.EXCHANGE)
    store_credit_bonus_percent: Decimal = Decimal("0")
    return_shipping_fee: Decimal = Decimal("0")
    restocking_percent: Decimal = Decimal("0")
    fees_waived_for: frozenset[str] = frozenset({Resolution.EXCHANGE, Resolution.STORE_CREDIT})
    fraud_max_returns_90d: int | None = None
    fraud_review_above_value: Decimal | None = None
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Rule:
    reasons: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    max_unit_price: Decimal | None = None
    resolutions: tuple[str, ...] = ()
    needs_review: bool = False

    def matches(self, item: Item, reason: str) -> bool:
        return ((not self.reasons or reason in self.reasons)
                and (not self.categories or _fold(item.category) in self.categories)
                and (self.max_unit_price is None or item.unit_price <= self.max_unit_price))


def _fold(text: str) -> str:
    return (text or "").strip().casefold()


def _folds(values: Iterable[str]) -> frozenset[str]:
    return frozenset(_fold(v) for v in values if isinstance(v, str) and v.strip())


def policy_of(row: ReturnPolicy, rules: Iterable[ReturnRule]) -> Policy:
    """The evaluation view of a stored policy version and its rules (in position order)."""
    return Policy(
        window_days=row.window_days,
        category_window_days={_fold(k): int(v) for k, v in (row.category_window_days or {}).items()},
        non_returnable_categories=_folds(row.non_returnable_categories or ()),
        non_returnable_tags=_folds(row.non_returnable_tags or ()),
        final_sale_tags=_folds(row.final_sale_tags or ()),
        gift_returns_allowed=row.gift_returns_allowed,
        review_above_order_value=row.review_above_order_value,
        reasons=tuple(r for r in row.reasons or () if r in ReturnReason.values),
        default_resolutions=tuple(r for r in row.default_resolutions or ()
                                  if r in Resolution.values),
        store_credit_bonus_percent=row.store_credit_bonus_percent,
        return_shipping_fee=row.return_shipping_fee,
        restocking_percent=row.restocking_percent,
        fees_waived_for=frozenset(row.fees_waived_for or ()),
        fraud_max_returns_90d=row.fraud_max_returns_90d,
        fraud_review_above_value=row.fraud_review_above_value,
        rules=tuple(Rule(reasons=frozenset(r.reasons or ()), categories=_folds(r.categories or ()),
                         max_unit_price=r.max_unit_price,
                         resolutions=tuple(x for x in r.resolutions or () if x in Resolution.values),
                         needs_review=r.needs_review)
                    for r in sorted(rules, key=lambda r: r.position)),
    )


@dataclass(frozen=True)
class OrderFacts:
    placed_at: datetime
    total: Decimal
    currency: str
    # The latest delivery of the parcels carrying the order's items; None if none arrived.
    delivered_at: datetime | None = None
    zone: ZoneInfo = ZoneInfo("UTC")  # the shopper's (else the shop's) time zone
    is_gift: bool = False
    returns_last_90d: int = 0  # the shopper's other requests started in the last 90 days


@dataclass(frozen=True)
class Item:
    line_item_id: int
    title: str
    unit_price: Decimal
    quantity: int  # bought
    category: str = ""
    tags: tuple[str, ...] = ()
    already_returned: int = 0  # held by other requests (not rejected or cancelled)
    shipped: bool = True
    # From its delivery (its own parcel's), else the order's; None: not delivered.
    delivered_at: datetime | None = None

    @property
    def returnable_quantity(self) -> int:
        return max(self.quantity - self.already_returned, 0)


@dataclass(frozen=True)
class ItemDecision:
    item: Item
    why_not: str | None  # a WhyNot code; None: it can go back
    last_day: date | None  # the last day (shopper's calendar) a return can be started
    why_not_params: dict = field(default_factory=dict)

    @property
    def eligible(self) -> bool:
        return self.why_not is None

    @property
    def why_not_text(self) -> str:
        """In the active language (the caller overrides it with the shopper's)."""
        if self.why_not is None:
            return ""
        return str(_WHY_NOT_TEXT[self.why_not]) % self.why_not_params


def last_day(policy: Policy, order: OrderFacts, item: Item) -> date:
    """The window counts whole days on the shopper's calendar from delivery, or from the order
    when the parcel never arrived: delivered on the 1st with 30 days, the 31st is the last."""
    start = item.delivered_at or order.delivered_at or order.placed_at
    days = policy.category_window_days.get(_fold(item.category), policy.window_days)
    return start.astimezone(order.zone).date() + timedelta(days=days)


def item_decide(policy: Policy, order: OrderFacts, item: Item, now: datetime) -> ItemDecision:
    """May this item go back now? The first reason it may not, in the order a shopper would
    find most useful (what the item is before when it was bought)."""
    until = last_day(policy, order, item)
    tags = _folds(item.tags)
    why, params = None, {}
    if not item.shipped:
        why = WhyNot.NOT_SHIPPED
    elif _fold(item.category) in policy.non_returnable_categories:
        why = WhyNot.NON_RETURNABLE_CATEGORY
    elif tags & policy.final_sale_tags:
        why = WhyNot.FINAL_SALE
    elif tags & policy.non_returnable_tags:
        why = WhyNot.NON_RETURNABLE_TAG
    elif order.is_gift and not policy.gift_returns_allowed:
        why = WhyNot.GIFT_NOT_RETURNABLE
    elif item.returnable_quantity == 0:
        why = WhyNot.ALREADY_RETURNED
    elif now.astimezone(order.zone).date() > until:
        why, params = WhyNot.WINDOW_CLOSED, {"date": until.isoformat()}
    return ItemDecision(item=item, why_not=why, last_day=until, why_not_params=params)


@dataclass(frozen=True)
class Outcome:
    resolutions: tuple[str, ...]
    needs_review: bool


def outcome_for(policy: Policy, item: Item, reason: str, *, is_gift: bool = False) -> Outcome:
    """The resolutions this item and reason allow: the first matching rule's, else the
    policy's defaults. A gift goes back as store credit only (the buyer paid, not the shopper)."""
    rule = next((r for r in policy.rules if r.matches(item, reason)), None)
    resolutions = rule.resolutions if rule and rule.resolutions else policy.default_resolutions
    if is_gift:
        resolutions = tuple(r for r in resolutions if r == Resolution.STORE_CREDIT) or (
            Resolution.STORE_CREDIT,)
    return Outcome(resolutions=resolutions, needs_review=bool(rule and rule.needs_review))


@dataclass(frozen=True)
class Pick:
    item: Item
    quantity: int
    reason: str


@dataclass(frozen=True)
class Quote:
    """What a request would be worth, shown before the shopper confirms."""

    resolution: str
    items_value: Decimal
    fee: Decimal
    refund: Decimal  # to the original payment (refund, keep it)
    credit: Decimal  # store credit, bonus included
    bonus: Decimal
    review: tuple[str, ...]  # Review codes; empty: approved at once


def resolutions_allowed(policy: Policy, picks: Sequence[Pick], *, is_gift: bool = False) -> tuple[str, ...]:
    """The resolutions every picked item allows (a request has one resolution), in the
    policy's order. "Keep it" only when every item allows it."""
    common: list[str] | None = None
    for pick in picks:
        allowed = outcome_for(policy, pick.item, pick.reason, is_gift=is_gift).resolutions
        common = list(allowed) if common is None else [r for r in common if r in allowed]
    return tuple(common or ())


def quote(policy: Policy, order: OrderFacts, picks: Sequence[Pick], resolution: str) -> Quote:
    value = sum((p.item.unit_price * p.quantity for p in picks), Decimal("0"))
    fee = Decimal("0")
    if resolution not in policy.fees_waived_for and resolution != Resolution.KEEP_IT:
        restocking = value * policy.restocking_percent / 100
        fee = min(value, policy.return_shipping_fee + restocking).quantize(CENT, ROUND_HALF_UP)
    refund = credit = bonus = Decimal("0")
    if resolution in (Resolution.REFUND, Resolution.KEEP_IT):
        refund = value - fee
    elif resolution == Resolution.STORE_CREDIT:
        bonus = (value * policy.store_credit_bonus_percent / 100).quantize(CENT, ROUND_HALF_UP)
        credit = value - fee + bonus
    review = []
    if any(outcome_for(policy, p.item, p.reason, is_gift=order.is_gift).needs_review for p in picks):
        review.append(Review.RULE)
    if policy.review_above_order_value is not None and order.total > policy.review_above_order_value:
        review.append(Review.ORDER_VALUE)
    if (policy.fraud_max_returns_90d is not None
            and order.returns_last_90d >= policy.fraud_max_returns_90d):
        # "More than N returns": this one would be the (N+1)th.
        review.append(Review.FREQUENT_RETURNS)
    if policy.fraud_review_above_value is not None and value > policy.fraud_review_above_value:
        review.append(Review.HIGH_VALUE)
    return Quote(resolution=resolution, items_value=value.quantize(CENT), fee=fee,
                 refund=refund.quantize(CENT), credit=credit.quantize(CENT), bonus=bonus,
                 review=tuple(review))
