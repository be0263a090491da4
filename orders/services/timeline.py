"""The order's timeline and its order-level milestones (outbox rows, tenants/outbox.py)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from config import db
from tenants.models import Tenant
from tenants.outbox import outbox_drain
from tenants.queueing import enqueue_on_commit

from ..models import OrderEvent, OrderMilestone, OrderMilestoneName


def order_event_record(tenant: Tenant, order_id: int, kind: str, summary: str, *,
                       occurred_at: datetime | None = None, actor: str = "",
                       data: dict | None = None, dedup_key: str = "") -> None:
    """Add a line to the order's history. With a dedup key, recording the same cause twice
    (a replayed webhook) leaves one line: the unique constraint decides."""
    OrderEvent.objects.bulk_create([OrderEvent(
        tenant=tenant, order_id=order_id, kind=kind, summary=summary[:500],
        occurred_at=occurred_at or timezone.now(), actor=actor[:200], data=data or {},
        dedup_key=dedup_key[:255])], ignore_conflicts=bool(dedup_key))


def order_events_record_many(tenant: Tenant, entries: list[dict]) -> None:
    """Many timeline lines in one statement (config.db: one array per column, not the ORM's
    placeholder per value); each entry has the arguments of `order_event_record` plus
    `order_id` and `kind`. Lines with a dedup key already recorded are skipped by the unique
    constraint."""
    now = timezone.now()
    db.rows_insert(OrderEvent, tenant.pk, [OrderEvent(
        tenant=tenant, order_id=e["order_id"], kind=e["kind"], summary=e["summary"][:500],
        occurred_at=e.get("occurred_at") or now, actor=e.get("actor", "")[:200],
        data=e.get("data") or {}, dedup_key=e.get("dedup_key", "")[:255]) for e in entries])


def order_milestone_record(tenant: Tenant, order_id: int, milestone: OrderMilestoneName,
                           occurred_at: datetime) -> bool:
    """Record a milestone once per order (in the caller's transaction) and drain the outbox
    after commit; returns whether it is new. The unique constraint is the guard against a race."""
    if OrderMilestone.objects.filter(order_id=order_id, milestone=milestone).exists():
        return False
    OrderMilestone.objects.bulk_create([OrderMilestone(
        tenant=tenant, order_id=order_id, milestone=milestone, occurred_at=occurred_at)],
        ignore_conflicts=True)
    from ..tasks import order_milestones_announce_task

    enqueue_on_commit(order_milestones_announce_task, tenant.pk,
                      what="the order milestone announcement")
    return True


def order_milestones_announce(tenant: Tenant) -> int:
    """Hand unannounced order milestones, once each, to their kind's processor (the outbox)."""
    return outbox_drain(tenant, OrderMilestone)
