"""A return's prepaid label, and its parcel moved by the carriers' webhooks.

    return_request_create (method "label") ──on commit──▶ [task] return_label_buy
        its turn taken (label_retry_at compare-and-set to a 3-minute lease; the sweep takes
        turns that are due: a task lost to a broker outage or a worker that died)
        EasyPost (returns/labels.py, no lock held while it answers)
        ├─ bought ─▶ the parcel registered (tracking.services.return_parcel_register),
        │            label fields, approved ─▶ label_ready, milestone return_label_ready
        └─ failed ─▶ label_error, label_attempts + 1, label_retry_at = now + the next delay
                     (returns' sweep tries again when due; the status page says so);
                     after the last delay, or at once when trying again cannot help (EasyPost
                     refused the request itself: 4xx but 408/409/425/429, no rate, no key):
                     no more tries, the shopper is offered the return address instead and the
                     retailer sees why on the return's timeline

    the return parcel's milestones (outbox kind tracking.return_parcel_milestone)
        shipped, in_transit, out_for_delivery, available_for_pickup ─▶ in_transit
        delivered (at the retailer's) ─▶ received, every line as announced (the returns team
                                         records each line's condition on the return's page)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from config.errors import Conflict
from tenants.models import Tenant
from tenants.queueing import enqueue_on_commit
from tenants.services import credential_fields
from tracking.models import ShipmentMilestone
from tracking.services import return_parcel_register
from tracking.statuses import Milestone

from ..labels import LabelFailed, easypost_address, label_buy
from ..models import ReturnMethod, ReturnMilestone, ReturnRequest, ReturnStatus
from .lifecycle import return_mark_in_transit, return_receive
from .timeline import return_event_record, return_milestone_record

logger = logging.getLogger(__name__)

# After the 1st, 2nd, … failed attempt, the next one is this much later (then no more).
LABEL_RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
                      timedelta(hours=3), timedelta(hours=6), timedelta(hours=12))
MAX_LABEL_ATTEMPTS = len(LABEL_RETRY_DELAYS) + 1

# How long a label's turn is held by the task that took it (three EasyPost calls, each up to
# EASYPOST_TIMEOUT): past it, the sweep takes the turn again.
LABEL_LEASE = timedelta(minutes=3)

PARCEL_MOVING = frozenset({Milestone.SHIPPED, Milestone.IN_TRANSIT, Milestone.OUT_FOR_DELIVERY,
                           Milestone.AVAILABLE_FOR_PICKUP})
PARCEL_ACTOR = "carrier"


def return_label_api_key(tenant: Tenant) -> str:
    """The store's EasyPost API key ("" without one: no prepaid labels, the portal offers
    "I'll ship it myself" with the printable return authorisation)."""
    return (credential_fields(tenant, "easypost") or {}).get("api_key", "")


def return_label_queue(tenant: Tenant, request: ReturnRequest, *,
                       now: datetime | None = None) -> None:
    """Buy the label once the request's transaction commits (a request made with a label).
    The request is due for the sweep after a lease, in the same transaction: should the task
    never run (a broker outage) or die half-way, the sweep buys it then."""
    from ..tasks import return_label_buy_task

    claim = (now or timezone.now()) + LABEL_LEASE
    ReturnRequest.objects.filter(pk=request.pk).update(label_retry_at=claim)
    request.label_retry_at = claim
    enqueue_on_commit(return_label_buy_task, tenant.pk, request.pk, claim.isoformat(),
                      what="a return label")


def _waiting_for_label(request: ReturnRequest) -> bool:
    return (request.method == ReturnMethod.LABEL and request.status == ReturnStatus.APPROVED
            and not request.label_tracking_number)


def _claimed(request_id: int, claim: datetime | None, now: datetime) -> bool:
    """Take the label's turn: compare-and-set of `label_retry_at` (the turn the caller was
    given, or a due one) to a new lease. Two tasks for the same turn (the on-commit one and a
    sweep's, a redelivered message) never both call EasyPost."""
    current = ReturnRequest.objects.filter(pk=request_id).values_list(
        "label_retry_at", flat=True).first()
    if current is None or (current != claim if claim is not None else current > now):
        return False
    return ReturnRequest.objects.filter(pk=request_id, label_retry_at=current).update(
        label_retry_at=now + LABEL_LEASE) == 1


def return_label_buy(tenant: Tenant, request_id: int, *, claim: datetime | None = None,
                     now: datetime | None = None) -> bool:
    """Buy the request's label if it still waits for one and this is its turn (`claim`: the
    turn the task was queued with; None: a turn that is due); returns whether it has one now.
    Never raises for EasyPost's sake: a failure is recorded and tried again later."""
    now = now or timezone.now()
    request = ReturnRequest.objects.select_related("order", "customer", "policy").get(pk=request_id)
    if not _waiting_for_label(request) or not _claimed(request_id, claim, now):
        return bool(request.label_tracking_number)
    api_key = return_label_api_key(tenant)
    try:
        if not api_key:
            raise LabelFailed("The store has no EasyPost API key (Settings → Integrations).",
                              permanent=True)
        label = label_buy(
            api_key, reference=request.number, existing_id=request.label_provider_id,
            to_address=easypost_address(request.order.shipping_address,
                                        email=request.customer.email if request.customer else ""),
            from_address=easypost_address(request.policy.return_address),
            items=sum(line.quantity for line in request.lines.all()),
            carriers=list(request.policy.label_carriers or []),
            created=lambda provider_id: ReturnRequest.objects.filter(pk=request_id).update(
                label_provider_id=provider_id[:64]))
    except LabelFailed as failed:
        _label_failed(tenant, request_id, str(failed), permanent=failed.permanent, now=now)
        return False
    with transaction.atomic():
        request = ReturnRequest.objects.select_for_update().get(pk=request_id)
        parcel = return_parcel_register(tenant, carrier=label.carrier or "unknown",
                                        tracking_number=label.tracking_number,
                                        service=label.service[:64])
        request.return_shipment = parcel
        request.label_provider_id = label.provider_id[:64]
        request.label_carrier = parcel.carrier
        request.label_tracking_number = parcel.tracking_number
        request.label_url = label.url
        request.label_error, request.label_retry_at = "", None
        fields = ["return_shipment", "label_provider_id", "label_carrier",
                  "label_tracking_number", "label_url", "label_error", "label_retry_at",
                  "updated_at"]
        summary = f"Label ready: {parcel.carrier} {parcel.tracking_number}"
        if request.status != ReturnStatus.APPROVED:
            # Cancelled or rejected while EasyPost answered: the label is kept for the record.
            request.save(update_fields=fields)
            return_event_record(tenant, request, f"{summary} (the return was "
                                f"{request.get_status_display().lower()} meanwhile)",
                                actor="easypost", occurred_at=now, public=False)
            return True
        request.status = ReturnStatus.LABEL_READY
        request.save(update_fields=["status", *fields])
        return_event_record(tenant, request, summary, status=ReturnStatus.LABEL_READY,
                            actor="easypost", occurred_at=now,
                            data={"carrier": parcel.carrier,
                                  "tracking_number": parcel.tracking_number})
        return_milestone_record(tenant, request, ReturnMilestone.RETURN_LABEL_READY,
                                occurred_at=now)
    return True


def _label_failed(tenant: Tenant, request_id: int, error: str, *, permanent: bool,
                  now: datetime) -> None:
    with transaction.atomic():
        request = ReturnRequest.objects.select_for_update().get(pk=request_id)
        request.label_attempts += 1
        request.label_error = error[:500]
        last = permanent or request.label_attempts >= MAX_LABEL_ATTEMPTS
        request.label_retry_at = None if last else now + LABEL_RETRY_DELAYS[request.label_attempts - 1]
        request.save(update_fields=["label_attempts", "label_error", "label_retry_at",
                                    "updated_at"])
        then = ("no more tries: the shopper is shown the return address" if last
                else f"tried again after {request.label_retry_at:%Y-%m-%d %H:%M} UTC")
        return_event_record(tenant, request, f"Label not bought (attempt "
                            f"{request.label_attempts}): {error}; {then}"[:500],
                            actor="easypost", occurred_at=now, public=False,
                            data={"error": error[:500], "attempt": request.label_attempts})
    logger.warning("return label not bought", extra={"tenant_id": tenant.pk,
                                                     "return_id": request_id, "error": error})


def return_labels_due(tenant: Tenant, *, now: datetime | None = None) -> list[int]:
    """Requests whose label is due: a failed one's next try, or a turn whose task never ran or
    died (returns' sweep queues them)."""
    return list(ReturnRequest.objects.filter(
        method=ReturnMethod.LABEL, status=ReturnStatus.APPROVED, label_tracking_number="",
        label_retry_at__lte=now or timezone.now()).values_list("pk", flat=True)[:100])


def return_parcel_milestones_process(tenant: Tenant, rows: Sequence[ShipmentMilestone]) -> None:
    """Processor of tracking's `tracking.return_parcel_milestone` rows (a return parcel's
    milestones), in the draining transaction: the carrier's scans move the return."""
    requests = {r.return_shipment_id: r for r in ReturnRequest.objects.filter(
        return_shipment_id__in={row.shipment_id for row in rows})}
    for row in sorted(rows, key=lambda r: (r.occurred_at, r.pk)):
        request = requests.get(row.shipment_id)
        if request is None:
            continue
        if row.milestone in PARCEL_MOVING:
            return_mark_in_transit(tenant, request.pk, actor=PARCEL_ACTOR, now=row.occurred_at)
        elif row.milestone == Milestone.DELIVERED:
            # Received by hand already, or cancelled: nothing to move.
            with contextlib.suppress(Conflict):
                return_receive(tenant, request.pk, actor=PARCEL_ACTOR, now=row.occurred_at)
