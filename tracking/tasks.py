"""Tracking tasks: thin, idempotent, by id, inside the tenant scope."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from orders.models import ImportJob
from tenants.context import require_current_tenant, tenant_scope
from tenants.models import InboundWebhook, Tenant
from tenants.outbox import outbox_drain
from tenants.tasks import tenant_task

from . import services
from .drain import DRAINED_SOURCES
from .models import ShipmentMilestone

# A queued body older than this was lost on its way to a worker (broker down, a worker killed
# holding the drain flag): queue it again (INGEST_SWEEP_AFTER_SECONDS, 120).
SWEEP_AFTER = timedelta(seconds=settings.INGEST_SWEEP_AFTER_SECONDS)


@tenant_task(name="tracking.tasks.inbound_process")
def inbound_process(tenant_id: int, inbound_id: int) -> None:
    services.inbound_process(require_current_tenant(), inbound_id)


@tenant_task(name="tracking.tasks.inbound_drain")
def inbound_drain(tenant_id: int, slot: int = 0) -> int:
    """Apply this tenant's queued carrier and API bodies, many per transaction (drain.py)."""
    from .drain import inbound_drain as drain

    return drain(require_current_tenant(), slot=slot)


@tenant_task(name="tracking.tasks.milestones_announce")
def milestones_announce(tenant_id: int) -> int:
    """Hand every milestone not yet announced, once each, to its kind's processor (the
    outbox): the row is locked and marked in the transaction the processor writes in."""
    return outbox_drain(require_current_tenant(), ShipmentMilestone)


@shared_task(name="tracking.tasks.tracking_sweep")
def tracking_sweep() -> int:
    """Safety net for the on-commit fast path: re-queue stranded work, per tenant."""
    queued = 0
    for tenant in Tenant.objects.filter(status=Tenant.Status.ACTIVE):
        with tenant_scope(tenant):
            stale = InboundWebhook.objects.filter(
                status=InboundWebhook.Status.QUEUED, received_at__lt=timezone.now() - SWEEP_AFTER)
            if stale.filter(source__in=DRAINED_SOURCES).exists():
                inbound_drain.delay(tenant.pk)  # not through the flag: a lost kick may hold it
                queued += 1
            # Shopify bodies, one task each (some wait for their order: shopify/processing.py).
            for inbound_id in stale.exclude(source__in=DRAINED_SOURCES).values_list(
                    "pk", flat=True)[:1000]:
                inbound_process.delay(tenant.pk, inbound_id)
                queued += 1
            if ShipmentMilestone.objects.filter(announced_at=None).exists():
                milestones_announce.delay(tenant.pk)
                queued += 1
            stale_imports = ImportJob.objects.filter(
                status=ImportJob.Status.QUEUED, created_at__lt=timezone.now() - SWEEP_AFTER,
            ).values_list("pk", flat=True)[:100]
            for job_id in stale_imports:
                orders_csv_import.delay(tenant.pk, job_id)
                queued += 1
    return queued


@tenant_task(name="tracking.tasks.orders_csv_import")
def orders_csv_import(tenant_id: int, job_id: int) -> None:
    from .csv_import import orders_csv_import_run

    orders_csv_import_run(require_current_tenant(), job_id)


@tenant_task(name="tracking.tasks.silence_check")
def silence_check(tenant_id: int) -> dict:
    """Flag this tenant's stalled and late shipments (tracking/silence.py)."""
    from dataclasses import asdict

    from .silence import shipments_check_silence

    return asdict(shipments_check_silence(require_current_tenant()))


@shared_task(name="tracking.tasks.silence_check_all")
def silence_check_all() -> int:
    """Periodic: one `silence_check` per active tenant."""
    from tenants.tasks import tenants_fan_out

    return tenants_fan_out(silence_check)


@tenant_task(name="tracking.tasks.demo_live_parcels_advance")
def demo_live_parcels_advance(tenant_id: int) -> int:
    """The demo's live parcels that are due take their next scan (tracking/demo_live.py)."""
    from .demo_live import live_parcels_advance

    return live_parcels_advance(require_current_tenant())


@shared_task(name="tracking.tasks.demo_live_parcels_advance_all")
def demo_live_parcels_advance_all() -> int:
    """Periodic, scheduled only with DEMO_LIVE_PARCELS (config/celery.py): one
    `demo_live_parcels_advance` per active store (a store without live parcels does nothing)."""
    from tenants.tasks import tenants_fan_out

    return tenants_fan_out(demo_live_parcels_advance)


@shared_task(name="tracking.tasks.page_views_flush")
def page_views_flush() -> int:
    """Tracking-page views counted in Redis → ShipmentPageViewDay (tracking/pageviews.py)."""
    from .pageviews import page_views_flush as flush

    return flush()
