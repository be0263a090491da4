"""What messaging does when a lower app announces something (connected in apps.py).

Receivers only dispatch (STYLE.md): the work is in journeys/. Milestones come a batch at a
time (`tenants.outbox.rows_announced`, up to 100 rows) and are planned together, inside the
announcing transaction, so the Message rows commit together with the milestones'
`announced_at` (the outbox); if planning fails the announcement rolls back and the sweep
tries again, so no milestone is marked announced without its messages. Dispatch is queued
after commit; the periodic dispatcher is the safety net when the broker is down.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tenants.context import tenant_scope
from tenants.models import Tenant
from tenants.queueing import enqueue_on_commit

from .journeys import default_journey_install
from .journeys.planning import MilestoneReached, messages_plan_many
from .models import Message

DUE_SOON = timedelta(minutes=1)


def on_rows_announced(sender, *, tenant: Tenant, rows: list, row_signal, **kwargs) -> None:
    """tenants.outbox.rows_announced: a batch of shipment milestones (tracking's
    `milestone_reached`) or order milestones (orders' `order_milestone_reached`), planned
    together: their shipments, orders and shoppers in one query, then `messages_plan_many`."""
    from orders.models import Order
    from orders.signals import order_milestone_reached
    from tracking.models import Shipment
    from tracking.signals import milestone_reached

    # In the scope already: outbox_announce read these rows through the scoped manager.
    if row_signal is milestone_reached:
        shipments = Shipment.objects.select_related("order__customer").in_bulk(
            {row.shipment_id for row in rows})
        reached = [MilestoneReached(row.milestone, shipments[row.shipment_id].order,
                                    shipments[row.shipment_id], row.occurred_at)
                   for row in rows]
    elif row_signal is order_milestone_reached:
        orders = Order.objects.select_related("customer").in_bulk(
            {row.order_id for row in rows})
        reached = [MilestoneReached(row.milestone, orders[row.order_id], None,
                                    row.occurred_at) for row in rows]
    else:
        return
    messages = messages_plan_many(tenant, reached)
    _dispatch_after_commit(tenant, messages)


def on_tenant_created(sender, *, tenant: Tenant, **kwargs) -> None:
    """tenants.signals.tenant_created, inside tenant_create's transaction: a store never
    exists without its default templates and journey."""
    default_journey_install(tenant)


def _dispatch_after_commit(tenant: Tenant, messages: list[Message]) -> None:
    # Only messages due now need a worker at once; later ones wait for the periodic dispatch.
    soon = timezone.now() + DUE_SOON
    if any(m.status == Message.Status.SCHEDULED and m.due_at <= soon for m in messages):
        # Imported here: the dispatcher is a higher-level module of this app.
        from .tasks import messages_dispatch_due

        enqueue_on_commit(messages_dispatch_due, tenant.pk, what="message dispatch")


def on_customer_redacted(sender, *, tenant: Tenant, customer_id: int, order_ids: list[int],
                         email: str, phone: str, **kwargs) -> None:
    """orders.signals.customer_redacted: erase what messages hold of the shopper (address,
    rendered content naming them, their preferences). Delivery facts (status, times, milestone)
    stay for the retailer's figures. The suppression list keeps the address on purpose: it is
    what stops us from ever writing to it again."""
    from django.db.models import Q

    from .models import MessagePreference

    with tenant_scope(tenant):
        who = Q(customer_id=customer_id) | Q(order_id__in=order_ids)
        for address in (email, phone):
            if address:
                who |= Q(recipient__iexact=address)
        Message.objects.filter(who).update(
            recipient="(erased)", subject="", preheader="", html_body="", text_body="", links=[],
            customer=None)
        MessagePreference.objects.filter(customer_id=customer_id).delete()
