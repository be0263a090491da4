"""The holdout's comparison: rates, the 95 % interval of their difference and the verdict,
checked against cases worked out by hand, and the rollup of a rule's two groups."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.holdout import Comparison
from analytics.kpis import Period
from analytics.rollups import rollups_differences, rollups_update
from analytics.selectors import holdout_results
from messaging.models import HOLDOUT_REASON, Message
from messaging.tests.factories import make_customer, make_order
from messaging.tests.journeys_support import make_rule
from tenants.context import tenant_scope

from .activity import send, utc


def test_a_clear_difference_is_significant():
    # 20 % of 1,000 against 15 % of 1,000: difference 0.05, standard error
    # sqrt(.2 × .8 / 1000 + .15 × .85 / 1000) = 0.016956, interval 0.05 ± 0.033233.
    result = Comparison(1000, 200, 1000, 150)

    assert result.difference == pytest.approx(0.05)
    assert result.interval == pytest.approx((0.016767, 0.083233), abs=1e-5)
    assert result.significant and result.verdict.startswith("Significant: shoppers who got")


def test_the_same_rates_on_fewer_shoppers_are_not_yet_significant():
    # 100 a group: standard error 0.053619, interval 0.05 ± 0.105093 includes 0.
    result = Comparison(100, 20, 100, 15)

    assert result.interval == pytest.approx((-0.055093, 0.155093), abs=1e-5)
    assert not result.significant
    assert result.verdict.startswith("Not yet significant: the difference could be chance")


def test_small_groups_and_empty_groups_say_so():
    assert Comparison(10, 5, 10, 0).verdict.startswith("Not yet significant: each group needs")
    assert Comparison(50, 5, 0, 0).difference is None
    assert Comparison(50, 5, 0, 0).interval is None
    assert Comparison(40, 10, 40, 30).significant  # fewer: 25 % against 75 %
    assert "fewer" in Comparison(40, 10, 40, 30).verdict


@pytest.mark.django_db
def test_the_rollup_counts_sent_and_held_out_shoppers_and_their_repeats(personas):
    store = personas.tenant_a
    rule = make_rule(store, "review_request", holdout_percent=10)
    other = make_rule(store, "review_request", channel="sms")  # no holdout: not counted
    for n in range(3):
        customer = make_customer(store)
        order = make_order(store, customer=customer)
        send(store, at=utc(2026, 3, 9, 12), milestone="review_request", order=order, rule=rule)
        if n == 0:
            make_order(store, customer=customer, placed_at=utc(2026, 3, 20, 12))
    held = make_customer(store)
    with tenant_scope(store):
        Message.objects.create(
            rule=rule, channel="email", milestone="review_request", customer=held,
            order=make_order(store, customer=held), recipient="x@example.com",
            dedup_key="held", status="suppressed", status_reason=HOLDOUT_REASON, due_at=utc(
                2026, 3, 9, 12))
        Message.objects.filter(dedup_key="held").update(created_at=utc(2026, 3, 9, 12))
        Message.objects.filter(rule=rule).update(created_at=utc(2026, 3, 9, 12))
    send(store, at=utc(2026, 3, 9, 12), milestone="review_request", rule=other)

    with tenant_scope(store):
        rollups_update(store)
        results = holdout_results(Period(date(2026, 3, 1), date(2026, 3, 31)))
        differences = rollups_differences(store, date(2026, 3, 1), date(2026, 3, 31))

    assert [(r.rule_id, r.comparison) for r in results] == [(rule.pk, Comparison(3, 1, 1, 0))]
    assert differences == []
