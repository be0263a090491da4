"""A request's timeline and milestones, written in the caller's transaction.

    return_event_record   a ReturnEvent, and the same line on the order's timeline
    return_milestone_record   once per request × milestone (outbox row), drained after commit
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from orders.models import OrderEvent
from orders.services import order_event_record
from tenants.models import Tenant
from tenants.outbox import outbox_drain
from tenants.queueing import enqueue_on_commit

from ..models import ReturnEvent, ReturnMilestoneRecord, ReturnRequest


def return_event_record(tenant: Tenant, request: ReturnRequest, summary: str, *,
                        status: str = "", actor: str = "", data: dict | None = None,
                        public: bool = True, occurred_at: datetime | None = None) -> ReturnEvent:
    """A line on the request's timeline and on its order's (the agent reads one history)."""
    occurred_at = occurred_at or timezone.now()
    event = ReturnEvent.objects.create(
        tenant=tenant, request=request, status=status, summary=summary[:500], actor=actor[:200],
        data=data or {}, public=public, occurred_at=occurred_at)
    order_event_record(
        tenant, request.order_id, OrderEvent.Kind.RETURN, f"Return {request.number}: {summary}",
        occurred_at=occurred_at, actor=actor,
        data={"return_id": request.pk, "return_number": request.number, "status": status,
              **(data or {})},
        dedup_key=f"return-event:{event.pk}")
    return event


def return_milestone_record(tenant: Tenant, request: ReturnRequest, milestone: str, *,
                            occurred_at: datetime | None = None) -> bool:
    """Record a milestone once per request; returns whether it is new. The unique constraint
    decides a race; the announcement is queued after commit (returns' sweep is the net)."""
    if ReturnMilestoneRecord.objects.filter(request=request, milestone=milestone).exists():
        return False
    ReturnMilestoneRecord.objects.bulk_create([ReturnMilestoneRecord(
        tenant=tenant, request=request, milestone=milestone,
        occurred_at=occurred_at or timezone.now())], ignore_conflicts=True)
    from ..tasks import return_milestones_announce_task

    enqueue_on_commit(return_milestones_announce_task, tenant.pk,
                      what="the return milestone announcement")
    return True


def return_milestones_announce(tenant: Tenant) -> int:
    """Hand unannounced return milestones, once each, to their kind's processor (the outbox)."""
    return outbox_drain(tenant, ReturnMilestoneRecord)
