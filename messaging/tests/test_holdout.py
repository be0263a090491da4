"""A rule's holdout: a stable share of shoppers does not get its review requests, upsell or
replenish messages (a `suppressed` row says why); status messages are never withheld."""

from __future__ import annotations

import pytest

from messaging import services
from messaging.journeys import messages_plan
from messaging.journeys.triggers import TRIGGERS
from messaging.models import HOLDOUT_REASON, HOLDOUT_TRIGGERS, JourneyRule, holdout_bucket
from tenants.context import tenant_scope

from .journeys_support import T0, make_customer, make_order, make_rule, make_shipment

pytestmark = pytest.mark.django_db


def test_the_same_shopper_is_always_in_or_out_and_the_share_is_as_asked():
    assert holdout_bucket(1, 2, 3) == holdout_bucket(1, 2, 3)
    held = sum(holdout_bucket(7, 11, customer) < 500 for customer in range(20_000))
    assert 0.04 < held / 20_000 < 0.06  # 5 %
    # Another rule draws its own holdout: not the same shoppers.
    other = {c for c in range(20_000) if holdout_bucket(7, 12, c) < 500}
    mine = {c for c in range(20_000) if holdout_bucket(7, 11, c) < 500}
    assert len(other & mine) < len(mine) / 5


@pytest.mark.parametrize("trigger", sorted(TRIGGERS - HOLDOUT_TRIGGERS))
def test_a_status_message_is_never_withheld(trigger):
    rule = JourneyRule(pk=5, tenant_id=1, trigger=trigger, holdout_percent=50)

    assert not any(rule.holds_out(customer) for customer in range(2_000))


def test_a_review_request_rule_holds_out_its_share_with_a_reason(personas):
    store = personas.tenant_a
    with tenant_scope(store):
        JourneyRule.objects.all().delete()
    rule = make_rule(store, "review_request", holdout_percent=50)
    planned = []
    for _ in range(12):
        customer = make_customer(store, marketing_email_consent=True)
        parcel = make_shipment(store, make_order(store, customer))
        with tenant_scope(store):
            planned += messages_plan(store, milestone="delivered", shipment=parcel, occurred_at=T0,
                                     now=T0)

    held = [m for m in planned if m.status_reason == HOLDOUT_REASON]
    assert held and len(held) < len(planned)
    assert all(m.status == "suppressed" for m in held)
    assert {m.customer_id for m in held} == {
        m.customer_id for m in planned if holdout_bucket(store.pk, rule.pk, m.customer_id) < 5000}


def test_a_holdout_on_a_status_message_is_refused(personas):
    store = personas.tenant_a
    rule = make_rule(store, "shipped")
    from config.errors import ValidationFailed

    with tenant_scope(store), pytest.raises(ValidationFailed) as refused:
        services.journey_rule_update(store, rule.pk, holdout_percent=5)
    assert "holdout_percent" in refused.value.details
