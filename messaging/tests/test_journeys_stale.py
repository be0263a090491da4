"""A milestone we hear of long after it happened is no news to the shopper: planning writes
no message for it (a store's history imported, a carrier's backlog, the demo's seeded
parcels), while one that just happened is planned as always."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messaging.journeys import messages_plan
from messaging.journeys.planning import stale_after
from messaging.models import Message
from tenants.context import tenant_scope

from .journeys_support import (
    T0,
    make_customer,
    make_order,
    make_rule,
    make_shipment,
    messages_of,
    without_default_journey,
)

pytestmark = pytest.mark.django_db
STALE = stale_after()


@pytest.fixture
def store(personas):
    without_default_journey(personas.tenant_a)
    return personas.tenant_a


@pytest.fixture
def parcel(store):
    return make_shipment(store, make_order(store, make_customer(store)))


def test_a_milestone_older_than_the_cut_off_plans_no_message(store, parcel):
    make_rule(store, "out_for_delivery", "email")
    with tenant_scope(store):
        planned = messages_plan(store, milestone="out_for_delivery", shipment=parcel,
                                occurred_at=T0 - STALE - timedelta(minutes=1), now=T0)
    assert planned == [] and messages_of(store) == []


def test_a_milestone_a_little_late_is_still_sent_now(store, parcel):
    make_rule(store, "out_for_delivery", "email")
    with tenant_scope(store):
        planned = messages_plan(store, milestone="out_for_delivery", shipment=parcel,
                                occurred_at=T0 - STALE + timedelta(minutes=1), now=T0)
    assert [(m.status, m.due_at) for m in planned] == [(Message.Status.SCHEDULED, T0)]


def test_the_cut_off_counts_from_when_the_rule_meant_to_send(store, parcel):
    """A review request three days after delivery: a recent delivery still plans it, one
    from last month does not."""
    make_rule(store, "review_request", "email", delay_minutes=3 * 24 * 60)
    with tenant_scope(store):
        recent = messages_plan(store, milestone="delivered", shipment=parcel,
                               occurred_at=T0 - timedelta(days=2), now=T0)
    assert [m.due_at for m in recent] == [T0 + timedelta(days=1)]
    old_parcel = make_shipment(store, make_order(store, make_customer(store)))
    with tenant_scope(store):
        assert messages_plan(store, milestone="delivered", shipment=old_parcel,
                             occurred_at=T0 - timedelta(days=30), now=T0) == []


def test_the_cut_off_is_a_setting(store, parcel, settings):
    settings.MESSAGING_STALE_AFTER_HOURS = 24 * 7
    make_rule(store, "delivered", "email")
    with tenant_scope(store):
        assert len(messages_plan(store, milestone="delivered", shipment=parcel,
                                 occurred_at=T0 - timedelta(days=3), now=T0)) == 1
