"""A request's way from approved to settled, and the refund that is late.

    requested ─▶ approved | needs_review ─▶ (label_ready) ─▶ in_transit ─▶ received
                      │          └──▶ rejected                              │
                      └──────────────────────── (keep it) ──────────────────┴─▶ refunded |
                                                                               credited |
    any step before received ─▶ cancelled                                      exchanged

Each transition locks the request row, checks the step is allowed from where it is (a late or
repeated call is a clear Conflict, never a second event), writes an event and, where the
shopper hears of it, a milestone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from config.errors import Conflict, ValidationFailed
from tenants.models import Tenant

from ..models import (
    ItemCondition,
    Resolution,
    ReturnLine,
    ReturnMethod,
    ReturnMilestone,
    ReturnMilestoneRecord,
    ReturnRequest,
    ReturnStatus,
)
from .timeline import return_event_record, return_milestone_record

S = ReturnStatus
_SENDABLE = (S.APPROVED, S.LABEL_READY)
SETTLED_WORDS: dict[str, str] = {S.REFUNDED: "Refunded", S.CREDITED: "Store credit issued",
                                  S.EXCHANGED: "Exchange sent"}
SETTLED_BY_RESOLUTION: dict[str, str] = {Resolution.REFUND: S.REFUNDED, Resolution.KEEP_IT: S.REFUNDED,
                         Resolution.STORE_CREDIT: S.CREDITED, Resolution.EXCHANGE: S.EXCHANGED}


def _locked(request_id: int) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update().get(pk=request_id)


def _require(request: ReturnRequest, allowed: tuple[str, ...] | frozenset[str], action: str) -> None:
    if request.status not in allowed:
        raise Conflict(f"Return {request.number} is {request.get_status_display().lower()}; "
                       f"it cannot be {action} now.", code="return_wrong_status",
                       details={"status": request.status})


def _move(tenant: Tenant, request: ReturnRequest, status: str, summary: str, *, actor: str,
          milestone: str | None = None, now: datetime | None = None, data: dict | None = None,
          fields: tuple[str, ...] = ()) -> ReturnRequest:
    now = now or timezone.now()
    request.status = status
    request.save(update_fields=["status", "updated_at", *fields])
    return_event_record(tenant, request, summary, status=status, actor=actor, occurred_at=now,
                        data=data)
    if milestone:
        return_milestone_record(tenant, request, milestone, occurred_at=now)
    return request


def return_approve(tenant: Tenant, request_id: int, *, actor: str = "",
                   now: datetime | None = None) -> ReturnRequest:
    with transaction.atomic():
        request = _locked(request_id)
        _require(request, (S.REQUESTED, S.NEEDS_REVIEW), "approved")
        _move(tenant, request, S.APPROVED, "Approved", actor=actor, now=now,
              milestone=ReturnMilestone.RETURN_APPROVED)
        if request.method == ReturnMethod.LABEL:
            from .labels import return_label_queue  # labels.py builds on this module

            return_label_queue(tenant, request)
        return request


def return_reject(tenant: Tenant, request_id: int, *, reason: str, actor: str = "",
                  now: datetime | None = None) -> ReturnRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the return is rejected; the shopper is told.",
                               details={"reason": "required"})
    with transaction.atomic():
        request = _locked(request_id)
        _require(request, (S.REQUESTED, S.NEEDS_REVIEW, S.APPROVED, S.LABEL_READY), "rejected")
        request.rejection_reason = reason[:500]
        return _move(tenant, request, S.REJECTED, f"Rejected: {reason}"[:500], actor=actor,
                     now=now, milestone=ReturnMilestone.RETURN_REJECTED,
                     fields=("rejection_reason",))


def return_cancel(tenant: Tenant, request_id: int, *, actor: str = "",
                  now: datetime | None = None) -> ReturnRequest:
    with transaction.atomic():
        request = _locked(request_id)
        _require(request, (S.REQUESTED, S.NEEDS_REVIEW, S.APPROVED, S.LABEL_READY), "cancelled")
        return _move(tenant, request, S.CANCELLED, "Cancelled", actor=actor, now=now)


def return_mark_in_transit(tenant: Tenant, request_id: int, *, actor: str = "",
                           now: datetime | None = None) -> ReturnRequest | None:
    """The parcel is on its way back (the carrier's first scan, or the shopper says so).
    Idempotent: a request already past this step is left as it is (None)."""
    with transaction.atomic():
        request = _locked(request_id)
        if request.status not in _SENDABLE:
            return None
        return _move(tenant, request, S.IN_TRANSIT, "On its way back", actor=actor, now=now)


def return_receive(tenant: Tenant, request_id: int, *,
                   lines: dict[int, tuple[int, str]] | None = None, actor: str = "",
                   now: datetime | None = None) -> ReturnRequest:
    """The parcel arrived. `lines`: return line id → (quantity found, condition); without it
    every line arrived as announced, condition unknown (a carrier's delivery scan)."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request_id)
        _require(request, (*_SENDABLE, S.IN_TRANSIT), "marked received")
        if request.method == ReturnMethod.NONE:
            raise Conflict("Nothing is sent back for this return.", code="return_wrong_status")
        own = {line.pk: line for line in ReturnLine.objects.filter(request=request)}
        for line_id, (quantity, condition) in (lines or {}).items():
            line = own.get(line_id)
            if line is None:
                raise ValidationFailed("This line is not part of the return.",
                                       details={"line_id": line_id})
            if not 0 <= quantity <= line.quantity:
                raise ValidationFailed(f"Received quantity is between 0 and {line.quantity}.",
                                       details={"line_id": line_id})
            if condition and condition not in ItemCondition.values:
                raise ValidationFailed("Unknown condition.", details={"line_id": line_id})
            line.received_quantity, line.condition = quantity, condition
        ReturnLine.objects.bulk_update(list(own.values()), ["received_quantity", "condition"])
        request.received_at = now
        return _move(tenant, request, S.RECEIVED, "Received", actor=actor, now=now,
                     milestone=ReturnMilestone.RETURN_RECEIVED, fields=("received_at",),
                     data={"lines": {str(k): list(v) for k, v in (lines or {}).items()}})


def return_settle(tenant: Tenant, request_id: int, *, amount: Decimal, reference: str = "",
                  actor: str = "", now: datetime | None = None) -> ReturnRequest:
    """Record the refund, the store credit or the exchange (its amount and reference). A kept
    item is settled from approved; others once received."""
    if amount is None or amount < 0:
        raise ValidationFailed("The amount is zero or more.", details={"amount": "invalid"})
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request_id)
        _require(request, (S.APPROVED,) if request.method == ReturnMethod.NONE else (S.RECEIVED,),
                 "settled")
        status = SETTLED_BY_RESOLUTION[request.resolution]
        request.settled_amount, request.settled_reference = amount, reference[:200]
        request.settled_at = now
        words = SETTLED_WORDS[status]
        return _move(tenant, request, status, f"{words}: {amount} {request.currency}", actor=actor,
                     now=now, fields=("settled_amount", "settled_reference", "settled_at"),
                     milestone=None if status == S.EXCHANGED else ReturnMilestone.REFUND_ISSUED,
                     data={"amount": str(amount), "reference": reference[:200]})


def business_days_after(start: date, days: int) -> date:
    """The date `days` working days (Monday to Friday) after `start`."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def returns_refund_delayed_check(tenant: Tenant, *, now: datetime | None = None) -> int:
    """Tell the shopper, once, when a received return's refund is past the policy's business
    days (refund_delayed): before they have to ask. Returns how many were announced."""
    now = now or timezone.now()
    told = ReturnMilestoneRecord.objects.filter(milestone=ReturnMilestone.REFUND_DELAYED)
    waiting = (ReturnRequest.objects.filter(status=S.RECEIVED, received_at__isnull=False)
               .exclude(pk__in=told.values("request_id")).select_related("policy"))
    try:
        zone = ZoneInfo(tenant.timezone)  # business days are the shop's
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    count = 0
    for request in waiting:
        assert request.received_at is not None  # filtered above
        due = business_days_after(request.received_at.astimezone(zone).date(),
                                  request.policy.refund_due_business_days)
        if now.astimezone(zone).date() <= due:
            continue
        with transaction.atomic():
            if return_milestone_record(tenant, request, ReturnMilestone.REFUND_DELAYED,
                                       occurred_at=now):
                return_event_record(tenant, request, f"Refund late: due by {due.isoformat()}",
                                    status="", actor="policy", occurred_at=now,
                                    data={"due": due.isoformat()})
                count += 1
    return count

