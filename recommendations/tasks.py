"""Recomputing what each store learned: periodically for every store, and on demand."""

from __future__ import annotations

from celery import shared_task

from tenants.context import require_current_tenant
from tenants.tasks import tenant_task, tenants_fan_out


@tenant_task(name="recommendations.tasks.associations_recompute", queue="analytics")
def associations_recompute(tenant_id: int) -> int:
    from .learning import associations_recompute as recompute

    return recompute(require_current_tenant()).associations


@shared_task(name="recommendations.tasks.associations_recompute_all")
def associations_recompute_all() -> int:
    """Every store's associations, relearned (beat: RECOMMENDATIONS_RECOMPUTE_SECONDS)."""
    return tenants_fan_out(associations_recompute)
