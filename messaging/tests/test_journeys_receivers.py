"""The outbox processors: a milestone row of tracking or orders plans its messages in the
draining transaction (the outbox) and asks for a dispatch only after commit."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.journeys import milestones as processors
from orders.models import OrderMilestone
from orders.services import order_milestones_announce
from tenants.context import tenant_scope
from tracking.models import ShipmentMilestone
from tracking.tasks import milestones_announce

from .journeys_support import (
    make_customer,
    make_order,
    make_rule,
    make_shipment,
    messages_of,
    without_default_journey,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(personas):
    without_default_journey(personas.tenant_a, personas.tenant_b)
    return personas.tenant_a


@pytest.fixture
def dispatches(monkeypatch) -> list[int]:
    """The fast path's seam: which tenants were asked to dispatch, and when."""
    from messaging import tasks

    asked: list[int] = []
    monkeypatch.setattr(tasks.messages_dispatch_due, "apply_async",
                        lambda args, **options: asked.append(args[0]))
    return asked


def reach(store, shipment, milestone: str, occurred_at=None) -> ShipmentMilestone:
    with tenant_scope(store):
        return ShipmentMilestone.objects.create(tenant=store, shipment=shipment,
                                                milestone=milestone,
                                                occurred_at=occurred_at or timezone.now())


def test_an_announced_shipment_milestone_plans_its_messages_then_queues_dispatch(
        store, dispatches, django_capture_on_commit_callbacks):
    make_rule(store, "delivered", "email")
    make_rule(store, "delivered", "sms")
    row = reach(store, make_shipment(store, make_order(store, make_customer(store))), "delivered")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        milestones_announce(store.pk)
    assert dispatches == []  # nothing is asked of a worker before the rows are committed
    for callback in callbacks:
        callback()

    assert [(m.channel, m.status) for m in messages_of(store)] == [
        ("email", "scheduled"), ("sms", "scheduled")]
    with tenant_scope(store):
        row.refresh_from_db()
    assert row.announced_at is not None
    assert dispatches == [store.pk]


def test_a_milestone_announced_twice_creates_one_message_per_rule(
        store, dispatches, django_capture_on_commit_callbacks):
    make_rule(store, "shipped")
    row = reach(store, make_shipment(store, make_order(store, make_customer(store))), "shipped")

    with django_capture_on_commit_callbacks(execute=True):
        milestones_announce(store.pk)
        with tenant_scope(store):
            ShipmentMilestone.objects.filter(pk=row.pk).update(announced_at=None)
        milestones_announce(store.pk)

    assert len(messages_of(store)) == 1


def test_a_milestone_whose_planning_fails_stays_unannounced_for_the_sweep(
        store, monkeypatch, dispatches, django_capture_on_commit_callbacks):
    make_rule(store, "shipped")
    row = reach(store, make_shipment(store, make_order(store, make_customer(store))), "shipped")

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(processors, "messages_plan_many", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        milestones_announce(store.pk)

    with tenant_scope(store):
        row.refresh_from_db()
    assert row.announced_at is None
    assert dispatches == []


def test_a_review_request_days_away_does_not_wake_a_worker(
        store, dispatches, django_capture_on_commit_callbacks):
    make_rule(store, "review_request", delay_minutes=3 * 24 * 60)
    shopper = make_customer(store, marketing_email_consent=True)
    reach(store, make_shipment(store, make_order(store, shopper)), "delivered")

    with django_capture_on_commit_callbacks(execute=True):
        milestones_announce(store.pk)

    [message] = messages_of(store)
    assert message.due_at > timezone.now() + timedelta(days=2)
    assert dispatches == []


def test_an_announced_order_milestone_plans_the_order_confirmation(
        store, dispatches, django_capture_on_commit_callbacks):
    rule = make_rule(store, "order_confirmed")
    order = make_order(store, make_customer(store))
    with tenant_scope(store):
        OrderMilestone.objects.create(tenant=store, order=order, milestone="order_confirmed",
                                      occurred_at=timezone.now())

        with django_capture_on_commit_callbacks(execute=True):
            order_milestones_announce(store)

    [message] = messages_of(store)
    assert message.dedup_key == f"rule:{rule.pk}:order:{order.pk}:order_confirmed"
    assert dispatches == [store.pk]


def test_a_milestone_of_one_store_plans_nothing_in_another(
        personas, store, dispatches, django_capture_on_commit_callbacks):
    a, b = personas.tenant_a, personas.tenant_b
    make_rule(a, "shipped")
    make_rule(b, "shipped")
    reach(a, make_shipment(a, make_order(a, make_customer(a))), "shipped")

    with django_capture_on_commit_callbacks(execute=True):
        milestones_announce(a.pk)
        milestones_announce(b.pk)

    assert len(messages_of(a)) == 1
    assert messages_of(b) == []


def test_a_broker_outage_leaves_the_message_to_the_periodic_dispatch(
        store, monkeypatch, caplog, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    from messaging import tasks

    def down(*args, **kwargs):
        raise OperationalError("broker unreachable")

    make_rule(store, "shipped")
    reach(store, make_shipment(store, make_order(store, make_customer(store))), "shipped")
    monkeypatch.setattr(tasks.messages_dispatch_due, "apply_async", down)
    with (caplog.at_level(logging.WARNING, logger="tenants.queueing"),
          django_capture_on_commit_callbacks(execute=True)):
        milestones_announce(store.pk)

    assert "could not queue message dispatch" in caplog.text
    assert [m.status for m in messages_of(store)] == ["scheduled"]  # the dispatch's to send


def test_a_batch_of_milestones_is_planned_in_the_same_queries_as_one(
        store, dispatches, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_rule(store, "shipped")
    make_rule(store, "shipped", "sms")

    def announce(count: int) -> int:
        for _ in range(count):
            reach(store, make_shipment(store, make_order(store, make_customer(store))), "shipped")
        with CaptureQueriesContext(connection) as queries, \
                django_capture_on_commit_callbacks(execute=True):
            assert milestones_announce(store.pk) == count
        return len(queries)

    assert announce(1) == announce(8)
    messages = messages_of(store)
    assert len(messages) == 18 and {m.status for m in messages} == {"scheduled"}
    assert dispatches == [store.pk, store.pk]  # one dispatch asked per announced batch
