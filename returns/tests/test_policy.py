"""The return policy as a table: each rule kind, the window's edges on the shopper's calendar,
final sale, the fraud guard, fees, outcomes per reason. Pure: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from returns.models import Resolution
from returns.policy import (
    Item,
    OrderFacts,
    Pick,
    Policy,
    Review,
    Rule,
    WhyNot,
    item_decide,
    outcome_for,
    quote,
    resolutions_allowed,
)

BERLIN = ZoneInfo("Europe/Berlin")
LA = ZoneInfo("America/Los_Angeles")
# Delivered on 1 November, 20:30 in Berlin (19:30 UTC).
DELIVERED = datetime(2026, 11, 1, 19, 30, tzinfo=UTC)
ORDER = OrderFacts(placed_at=datetime(2026, 10, 28, 9, 0, tzinfo=UTC), total=Decimal("154.00"),
                   currency="EUR", delivered_at=DELIVERED, zone=BERLIN)
JACKET = Item(line_item_id=1, title="Ridge Jacket", unit_price=Decimal("129.00"), quantity=1,
              category="Jackets", tags=("outerwear",))
SOCKS = Item(line_item_id=2, title="Trail Socks", unit_price=Decimal("12.50"), quantity=2,
             category="Socks")
R = Resolution


def at(text: str, zone=BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# --- window ----------------------------------------------------------------------------

@pytest.mark.parametrize(("now", "order", "item", "policy", "why_not"), [
    # 30 days from delivery on the shopper's calendar: 1 Nov + 30 = 1 Dec is the last day.
    (at("2026-12-01 23:59"), ORDER, JACKET, Policy(), None),
    (at("2026-12-02 00:00"), ORDER, JACKET, Policy(), WhyNot.WINDOW_CLOSED),
    # The same instant is still 1 December in Los Angeles: the shopper's day counts.
    (at("2026-12-02 08:30"), replace(ORDER, zone=LA), JACKET, Policy(), None),
    (at("2026-12-02 08:30"), ORDER, JACKET, Policy(), WhyNot.WINDOW_CLOSED),
    # Delivered at 01:30 Berlin time on 2 Nov is 1 Nov in UTC: Berlin's calendar decides.
    (at("2026-12-02 12:00"), replace(ORDER, delivered_at=at("2026-11-02 01:30")), JACKET,
     Policy(), None),
    # A category's own window (14 days for jackets), matched without regard to case.
    (at("2026-11-15 12:00"), ORDER, JACKET, Policy(category_window_days={"jackets": 14}), None),
    (at("2026-11-16 12:00"), ORDER, JACKET, Policy(category_window_days={"jackets": 14}),
     WhyNot.WINDOW_CLOSED),
    # Never delivered: counted from the order (28 Oct + 30 = 27 Nov).
    (at("2026-11-27 22:00"), replace(ORDER, delivered_at=None), JACKET, Policy(), None),
    (at("2026-11-28 00:01"), replace(ORDER, delivered_at=None), JACKET, Policy(),
     WhyNot.WINDOW_CLOSED),
    # The item's own parcel arrived later than the order's last: its own delivery counts.
    (at("2026-12-05 12:00"), ORDER, replace(JACKET, delivered_at=at("2026-11-05 10:00")),
     Policy(), None),
])
def test_the_window_counts_whole_days_on_the_shoppers_calendar(now, order, item, policy, why_not):
    assert item_decide(policy, order, item, now).why_not == why_not


# --- eligibility -----------------------------------------------------------------------

NOW = at("2026-11-10 12:00")


@pytest.mark.parametrize(("policy", "order", "item", "why_not"), [
    (Policy(), ORDER, JACKET, None),
    (Policy(non_returnable_categories=frozenset({"jackets"})), ORDER, JACKET,
     WhyNot.NON_RETURNABLE_CATEGORY),
    (Policy(non_returnable_tags=frozenset({"outerwear"})), ORDER, JACKET, WhyNot.NON_RETURNABLE_TAG),
    (Policy(), ORDER, replace(JACKET, tags=("Final-Sale",)), WhyNot.FINAL_SALE),
    (Policy(final_sale_tags=frozenset()), ORDER, replace(JACKET, tags=("final-sale",)), None),
    (Policy(), ORDER, replace(JACKET, already_returned=1), WhyNot.ALREADY_RETURNED),
    (Policy(), ORDER, replace(SOCKS, already_returned=1), None),  # one of two still here
    (Policy(gift_returns_allowed=False), replace(ORDER, is_gift=True), JACKET,
     WhyNot.GIFT_NOT_RETURNABLE),
    (Policy(), replace(ORDER, is_gift=True), JACKET, None),
    (Policy(), ORDER, replace(JACKET, shipped=False), WhyNot.NOT_SHIPPED),
])
def test_eligibility(policy, order, item, why_not):
    assert item_decide(policy, order, item, NOW).why_not == why_not


@pytest.mark.parametrize(("language", "words"), [
    ("en", "final sale"), ("de", "Schlussverkauf"), ("fr", "soldé"), ("es", "venta final"),
    ("nl", "uitverkoop"),
])
def test_why_not_is_said_in_the_shoppers_language(language, words):
    decision = item_decide(Policy(), ORDER, replace(JACKET, tags=("final-sale",)), NOW)
    with translation.override(language):
        assert words in decision.why_not_text


def test_a_closed_window_names_its_last_day():
    decision = item_decide(Policy(), ORDER, JACKET, at("2026-12-05 12:00"))
    assert "2026-12-01" in decision.why_not_text


# --- outcomes per reason and item ------------------------------------------------------

RULES = (
    Rule(reasons=frozenset({"damaged"}), resolutions=(R.REFUND, R.EXCHANGE), needs_review=True),
    Rule(max_unit_price=Decimal("15.00"), reasons=frozenset({"damaged", "wrong_item"}),
         resolutions=(R.KEEP_IT, R.REFUND)),
    Rule(categories=frozenset({"socks"}), resolutions=(R.STORE_CREDIT,)),
)


@pytest.mark.parametrize(("item", "reason", "resolutions", "review"), [
    (JACKET, "too_small", (R.REFUND, R.STORE_CREDIT, R.EXCHANGE), False),  # no rule: defaults
    (JACKET, "damaged", (R.REFUND, R.EXCHANGE), True),  # first match wins
    (SOCKS, "wrong_item", (R.KEEP_IT, R.REFUND), False),  # cheap: keep it
    (replace(SOCKS, unit_price=Decimal("15.01")), "wrong_item", (R.STORE_CREDIT,), False),
    (SOCKS, "changed_mind", (R.STORE_CREDIT,), False),
])
def test_outcome_per_reason_and_item(item, reason, resolutions, review):
    outcome = outcome_for(Policy(rules=RULES), item, reason)
    assert (outcome.resolutions, outcome.needs_review) == (resolutions, review)


def test_a_gift_goes_back_as_store_credit_only():
    assert outcome_for(Policy(), JACKET, "too_small", is_gift=True).resolutions == (R.STORE_CREDIT,)


def test_a_request_offers_what_every_item_allows():
    policy = Policy(rules=RULES)
    picks = [Pick(JACKET, 1, "too_small"), Pick(SOCKS, 1, "changed_mind")]
    assert resolutions_allowed(policy, picks) == (R.STORE_CREDIT,)


# --- fees and amounts ------------------------------------------------------------------

FEES = Policy(return_shipping_fee=Decimal("4.95"), restocking_percent=Decimal("10"),
              store_credit_bonus_percent=Decimal("10"))


@pytest.mark.parametrize(("policy", "resolution", "fee", "refund", "credit"), [
    (FEES, R.REFUND, "17.85", "111.15", "0"),  # 4.95 + 10 % of 129.00
    (FEES, R.STORE_CREDIT, "0", "0", "141.90"),  # waived, and +10 % bonus
    (FEES, R.EXCHANGE, "0", "0", "0"),
    (replace(FEES, fees_waived_for=frozenset()), R.STORE_CREDIT, "17.85", "0", "124.05"),
    (FEES, R.KEEP_IT, "0", "129.00", "0"),  # nothing is shipped or restocked
    (Policy(return_shipping_fee=Decimal("500")), R.REFUND, "129.00", "0.00", "0"),  # never below 0
])
def test_fees_and_amounts(policy, resolution, fee, refund, credit):
    q = quote(policy, ORDER, [Pick(JACKET, 1, "too_small")], resolution)
    assert (q.fee, q.refund, q.credit) == (Decimal(fee), Decimal(refund), Decimal(credit))


# --- review: the fraud guard, order value, rules ---------------------------------------

@pytest.mark.parametrize(("policy", "order", "reason", "review"), [
    (Policy(), ORDER, "too_small", ()),
    (Policy(fraud_max_returns_90d=3), replace(ORDER, returns_last_90d=2), "too_small", ()),
    (Policy(fraud_max_returns_90d=3), replace(ORDER, returns_last_90d=3), "too_small",
     (Review.FREQUENT_RETURNS,)),
    (Policy(fraud_review_above_value=Decimal("129.00")), ORDER, "too_small", ()),
    (Policy(fraud_review_above_value=Decimal("128.99")), ORDER, "too_small", (Review.HIGH_VALUE,)),
    (Policy(review_above_order_value=Decimal("150")), ORDER, "too_small", (Review.ORDER_VALUE,)),
    (Policy(rules=RULES), ORDER, "damaged", (Review.RULE,)),
])
def test_what_goes_to_review(policy, order, reason, review):
    assert quote(policy, order, [Pick(JACKET, 1, reason)], R.REFUND).review == review
