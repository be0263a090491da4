"""Returns tasks: thin, by id, inside the tenant scope."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from tenants.context import require_current_tenant, tenant_scope
from tenants.models import Tenant
from tenants.tasks import tenant_task

from .models import ReturnMilestoneRecord


@tenant_task(name="returns.tasks.return_milestones_announce_task")
def return_milestones_announce_task(tenant_id: int) -> int:
    from .services import return_milestones_announce

    return return_milestones_announce(require_current_tenant())


@tenant_task(name="returns.tasks.returns_refund_delayed_check_task")
def returns_refund_delayed_check_task(tenant_id: int) -> int:
    from .services import returns_refund_delayed_check

    return returns_refund_delayed_check(require_current_tenant())


@tenant_task(name="returns.tasks.return_label_buy_task")
def return_label_buy_task(tenant_id: int, request_id: int, claim: str | None = None) -> bool:
    """Buy a return's label in the turn it was queued with (`claim`, ISO; None: a due one);
    a failure is recorded with its next try (the sweep's)."""
    from .services import return_label_buy

    return return_label_buy(require_current_tenant(), request_id,
                            claim=datetime.fromisoformat(claim) if claim else None)


@shared_task(name="returns.tasks.returns_sweep")
def returns_sweep() -> int:
    """Safety net and clock: announce return milestones whose on-commit task never ran, try
    again the labels whose retry is due, and look for refunds past their due day, per tenant."""
    from .services import return_labels_due

    queued = 0
    for tenant in Tenant.objects.filter(status=Tenant.Status.ACTIVE):
        with tenant_scope(tenant):
            if ReturnMilestoneRecord.objects.filter(announced_at=None).exists():
                return_milestones_announce_task.delay(tenant.pk)
                queued += 1
            for request_id in return_labels_due(tenant):
                return_label_buy_task.delay(tenant.pk, request_id)
                queued += 1
        returns_refund_delayed_check_task.delay(tenant.pk)
    return queued
