"""Messaging tasks (queue `messages`): thin, by id, inside the tenant scope.

    beat, every 10 s: messages_dispatch_all ─ fan-out ─▶ messages_dispatch_due(tenant)
                                             └─ after commit ─▶ messages_send_batch(ids)
    beat, every minute: messages_sweep_all ─ fan-out ─▶ messages_sweep(tenant)
"""

from __future__ import annotations

from celery import shared_task

from tenants.models import Tenant
from tenants.tasks import tenant_task, tenants_fan_out

from . import dispatch

# Batches per dispatch run: a backlog drains at up to this many × 200 messages per 10 s,
# while one busy store cannot keep a worker to itself for long.
DISPATCH_ROUNDS = 10


@tenant_task(name="messaging.tasks.messages_dispatch_due")
def messages_dispatch_due(tenant_id: int, limit: int = 200) -> int:
    tenant = Tenant.objects.get(pk=tenant_id)
    total = 0
    for _ in range(DISPATCH_ROUNDS):
        claimed = dispatch.messages_dispatch_due(tenant, limit=limit)
        total += claimed
        if claimed < limit:
            break
    return total


@tenant_task(name="messaging.tasks.message_send")
def message_send(tenant_id: int, message_id: int) -> str:
    return dispatch.message_send(Tenant.objects.get(pk=tenant_id), message_id)


@tenant_task(name="messaging.tasks.messages_send_batch")
def messages_send_batch(tenant_id: int, message_ids: list[int]) -> dict[str, int]:
    return dispatch.messages_send(Tenant.objects.get(pk=tenant_id), message_ids)


@tenant_task(name="messaging.tasks.messages_sweep")
def messages_sweep(tenant_id: int) -> dict[str, int]:
    return dispatch.messages_sweep(Tenant.objects.get(pk=tenant_id))


@shared_task(name="messaging.tasks.messages_dispatch_all")
def messages_dispatch_all() -> int:
    return tenants_fan_out(messages_dispatch_due)


@shared_task(name="messaging.tasks.messages_sweep_all")
def messages_sweep_all() -> int:
    return tenants_fan_out(messages_sweep)
