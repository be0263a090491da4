"""The outbox processors messaging registers (apps.py) for the milestone rows the apps below
write: orders' `orders.order_milestone`, tracking's `tracking.shipment_milestone`, returns'
`returns.return_milestone`.

A batch (up to tenants.outbox.BATCH rows) is planned together: its orders or shipments and
shoppers in one query, then `messages_plan_many`, inside the draining transaction, so the
Message rows commit together with the rows' `announced_at`; if planning fails, the mark rolls
back and the sweep tries again, so no milestone is marked without its messages. Dispatch is
queued after commit; the periodic dispatcher is the safety net when the broker is down.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from orders.models import Order, OrderMilestone
from returns.models import ReturnMilestoneRecord, ReturnRequest
from tenants.models import Tenant
from tenants.queueing import enqueue_on_commit
from tracking.models import Shipment, ShipmentMilestone

from ..models import Message
from .planning import MilestoneReached, messages_plan_many

DUE_SOON = timedelta(minutes=1)


def shipment_milestones_plan(tenant: Tenant, rows: Sequence[ShipmentMilestone]) -> None:
    """Processor of `tracking.shipment_milestone` rows. Runs in the draining task's scope."""
    shipments = Shipment.objects.select_related("order__customer").in_bulk(
        {row.shipment_id for row in rows})
    _plan(tenant, [MilestoneReached(row.milestone, shipments[row.shipment_id].order,
                                    shipments[row.shipment_id], row.occurred_at)
                   for row in rows])


def order_milestones_plan(tenant: Tenant, rows: Sequence[OrderMilestone]) -> None:
    """Processor of `orders.order_milestone` rows. Runs in the draining task's scope."""
    orders = Order.objects.select_related("customer").in_bulk({row.order_id for row in rows})
    _plan(tenant, [MilestoneReached(row.milestone, orders[row.order_id], None, row.occurred_at)
                   for row in rows])


def return_milestones_plan(tenant: Tenant, rows: Sequence[ReturnMilestoneRecord]) -> None:
    """Processor of `returns.return_milestone` rows: messages about the return's order, once
    per return (the dedup key names the return). Runs in the draining task's scope."""
    requests = ReturnRequest.objects.select_related("order__customer").in_bulk(
        {row.request_id for row in rows})
    _plan(tenant, [MilestoneReached(row.milestone, requests[row.request_id].order, None,
                                    row.occurred_at, return_id=row.request_id)
                   for row in rows])


def _plan(tenant: Tenant, reached: list[MilestoneReached]) -> None:
    messages = messages_plan_many(tenant, reached)
    # Only messages due now need a worker at once; later ones wait for the periodic dispatch.
    soon = timezone.now() + DUE_SOON
    if any(m.status == Message.Status.SCHEDULED and m.due_at <= soon for m in messages):
        # Imported here: the dispatcher is a higher-level module of this app.
        from ..tasks import messages_dispatch_due

        enqueue_on_commit(messages_dispatch_due, tenant.pk, what="message dispatch")
