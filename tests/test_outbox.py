"""The outbox (tenants/outbox.py): each row goes to the processor registered for its kind, a
batch at a time and once; a kind nobody registered fails loudly, and a processor that fails
leaves its batch unmarked for the next drain. Exercised on a real outbox table (orders'
OrderMilestone) with processors of this test's own kinds."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from messaging.journeys.milestones import order_milestones_plan, shipment_milestones_plan
from messaging.tests.factories import make_order
from orders.models import OrderEvent, OrderMilestone
from orders.services import order_event_record
from tenants import outbox
from tenants.context import tenant_scope
from tracking.models import ShipmentMilestone

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch) -> dict:
    """An empty registry for this test (messaging's processors are back afterwards)."""
    monkeypatch.setattr(outbox, "PROCESSORS", {})
    return outbox.PROCESSORS


@pytest.fixture
def store(personas):
    return personas.tenant_a


def rows_of(store, *kinds: str) -> list[OrderMilestone]:
    """One unannounced row per kind given, in that order, all on one order."""
    order = make_order(store, lines=0)
    with tenant_scope(store):
        return OrderMilestone.objects.bulk_create([
            OrderMilestone(tenant=store, order=order, kind=kind, milestone=f"step_{n}",
                           occurred_at=timezone.now()) for n, kind in enumerate(kinds)])


def unannounced(store) -> int:
    with tenant_scope(store):
        return OrderMilestone.objects.filter(announced_at=None).count()


def drain(store) -> int:
    with tenant_scope(store):
        return outbox.outbox_drain(store, OrderMilestone)


def test_each_kind_goes_to_its_own_processor_a_batch_at_a_time(store, registry):
    calls: list[tuple[str, int]] = []
    outbox.outbox_processor_register("tests.even", lambda tenant, rows: calls.append(
        ("even", len(rows))))
    outbox.outbox_processor_register("tests.odd", lambda tenant, rows: calls.append(
        ("odd", len(rows))))
    rows_of(store, *["tests.even", "tests.odd"] * 75)

    assert drain(store) == 150

    # Two batches (100, then 50), one call per kind in each: a query per batch, not per row.
    assert calls == [("even", 50), ("odd", 50), ("even", 25), ("odd", 25)]
    assert unannounced(store) == 0
    assert drain(store) == 0 and len(calls) == 4  # each row once


def test_a_row_whose_kind_has_no_processor_fails_loudly_and_marks_nothing(store, registry):
    def note(tenant, rows):  # writes something, to show it rolls back with the batch
        order_event_record(tenant, rows[0].order_id, OrderEvent.Kind.NOTE, "handled")

    outbox.outbox_processor_register("tests.known", note)
    known, stray = rows_of(store, "tests.known", "tests.nobody")

    with pytest.raises(outbox.OutboxKindUnknown, match=r"'tests.nobody'.*orders.OrderMilestone"):
        drain(store)

    assert unannounced(store) == 2
    with tenant_scope(store):
        assert not OrderEvent.objects.filter(order_id=known.order_id, summary="handled").exists()


def test_a_processor_that_fails_leaves_its_batch_for_the_next_drain(store, registry):
    attempts: list[int] = []

    def flaky(tenant, rows):
        attempts.append(len(rows))
        order_event_record(tenant, rows[0].order_id, OrderEvent.Kind.NOTE, "handled")
        if len(attempts) == 1:
            raise RuntimeError("database hiccup")

    outbox.outbox_processor_register("tests.flaky", flaky)
    [row] = rows_of(store, "tests.flaky")

    with pytest.raises(RuntimeError, match="hiccup"):
        drain(store)
    assert unannounced(store) == 1  # the mark rolled back with the processor's writes
    with tenant_scope(store):
        assert not OrderEvent.objects.filter(summary="handled").exists()

    assert drain(store) == 1  # what the sweep does
    assert attempts == [1, 1] and unannounced(store) == 0
    with tenant_scope(store):
        assert OrderEvent.objects.filter(order_id=row.order_id, summary="handled").count() == 1


def test_a_kind_has_one_processor(registry):
    def first(tenant, rows):
        pass

    def second(tenant, rows):
        pass

    outbox.outbox_processor_register("tests.kind", first)
    outbox.outbox_processor_register("tests.kind", first)  # ready() run again: fine
    with pytest.raises(ImproperlyConfigured, match="already has a processor"):
        outbox.outbox_processor_register("tests.kind", second)
    assert registry == {"tests.kind": first}


def test_messaging_plans_the_milestones_of_orders_and_tracking():
    assert outbox.PROCESSORS[OrderMilestone.KIND] is order_milestones_plan
    assert outbox.PROCESSORS[ShipmentMilestone.KIND] is shipment_milestones_plan
    assert (OrderMilestone.KIND, ShipmentMilestone.KIND) == (
        "orders.order_milestone", "tracking.shipment_milestone")
