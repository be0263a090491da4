"""The rollups' periodic upkeep: one task per active tenant, in its scope."""

from __future__ import annotations

from celery import shared_task

from tenants.context import require_current_tenant
from tenants.tasks import tenant_task, tenants_fan_out

from .rollups import rollups_update


@tenant_task(name="analytics.tasks.rollups_update_tenant")  # routed to the analytics queue
def rollups_update_tenant(tenant_id: int) -> dict[str, int]:
    return rollups_update(require_current_tenant())


@shared_task(name="analytics.tasks.rollups_update_all")
def rollups_update_all() -> int:
    return tenants_fan_out(rollups_update_tenant)
