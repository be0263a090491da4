"""Orders tasks: thin, by id, inside the tenant scope."""

from __future__ import annotations

from celery import shared_task

from tenants.context import require_current_tenant, tenant_scope
from tenants.models import Tenant
from tenants.tasks import tenant_task

from .models import OrderMilestone


@tenant_task(name="orders.tasks.order_milestones_announce_task")
def order_milestones_announce_task(tenant_id: int) -> int:
    from .services import order_milestones_announce

    return order_milestones_announce(require_current_tenant())


@shared_task(name="orders.tasks.orders_sweep")
def orders_sweep() -> int:
    """Safety net: announce order milestones whose on-commit task never ran."""
    queued = 0
    for tenant in Tenant.objects.filter(status=Tenant.Status.ACTIVE):
        with tenant_scope(tenant):
            if OrderMilestone.objects.filter(announced_at=None).exists():
                order_milestones_announce_task.delay(tenant.pk)
                queued += 1
    return queued
