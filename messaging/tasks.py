"""Messaging tasks (queue `messages`): thin, by id, inside the tenant scope.

    beat, every 10 s: messages_dispatch_all ─ fan-out ─▶ messages_dispatch_due(tenant)
                                             └─ after commit ─▶ messages_send_batch(ids)
    beat, every minute: messages_sweep_all ─ fan-out ─▶ messages_sweep(tenant)
"""

from __future__ import annotations

from celery import shared_task

from tenants.context import require_current_tenant
from tenants.queueing import enqueue
from tenants.tasks import tenant_task, tenants_fan_out

from . import dispatch

# Claims per dispatch run: a backlog drains at up to this many × CLAIM messages per run and
# helper every 10 s, while one busy store cannot keep a worker to itself for long.
DISPATCH_ROUNDS = 20


@tenant_task(name="messaging.tasks.messages_dispatch_due")
def messages_dispatch_due(tenant_id: int, limit: int = dispatch.CLAIM,
                          helper: bool = False) -> int:
    """Dispatch what is due, a claim at a time. A backlog (the first claim comes back full)
    gets one helper task, so a second worker shares it (SKIP LOCKED keeps them apart). A run
    that ends on a full claim hands over to a new task at the back of the queue: other
    stores' work goes in between, and a burst larger than a run keeps draining instead of
    waiting for the next beat. `helper`: this run asks for no helper (it is one, or a
    hand-over whose chain has its helper already)."""
    tenant = require_current_tenant()

    def backlog() -> None:
        nonlocal helper
        if not helper:
            helper = True
            # At once, inside the claim's transaction: a second worker starts on the rows
            # this claim left while this one renders.
            enqueue(messages_dispatch_due, tenant_id, limit, kwargs={"helper": True},
                    what="a helper dispatch")

    total = claimed = 0
    for _ in range(DISPATCH_ROUNDS):
        claimed = dispatch.messages_dispatch_due(tenant, limit=limit, on_backlog=backlog)
        total += claimed
        if claimed < limit:
            break
    if claimed == limit:
        # Broker down: the periodic dispatch carries on in 10 s.
        enqueue(messages_dispatch_due, tenant_id, limit, kwargs={"helper": True},
                what="the next dispatch run")
    return total


@tenant_task(name="messaging.tasks.messages_send_batch")
def messages_send_batch(tenant_id: int, message_ids: list[int]) -> dict[str, int]:
    return dispatch.messages_send(require_current_tenant(), message_ids)


@tenant_task(name="messaging.tasks.messages_sweep")
def messages_sweep(tenant_id: int) -> dict[str, int]:
    return dispatch.messages_sweep(require_current_tenant())


@shared_task(name="messaging.tasks.messages_dispatch_all")
def messages_dispatch_all() -> int:
    return tenants_fan_out(messages_dispatch_due)


@shared_task(name="messaging.tasks.messages_sweep_all")
def messages_sweep_all() -> int:
    return tenants_fan_out(messages_sweep)
