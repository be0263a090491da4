"""A candidate `updates_apply` with fewer statements per update, for `ingest.py --profile`
to measure against the real one on identical batches. Not used by the app: a copy of
tracking/services.py (updates_apply, shipment_recompute) with three changes, marked `PROPOSED`:

1. shipments of a whole batch are found with one query, not one per update;
2. the events already stored are read once (their keys) and only the others inserted, instead
   of COUNT, INSERT, COUNT: `created` stays an upper bound under concurrent replays (as today:
   the two COUNTs also see rows other transactions commit in between), never an undercount,
   so a recompute is never skipped; the unique constraint remains the guard;
3. the recompute joins the update's transaction (`atomic(savepoint=False)`) instead of opening
   a savepoint: an error still rolls the whole update back, as the outer block re-raises;
4. `milestones_announce` is queued once per call (after the last update committed) instead of
   once per shipment that reached a milestone: the task announces every unannounced row of the
   tenant anyway, and the periodic sweep stays the safety net. A 250-event body for 50
   shipments queued up to 50 announce tasks on the `ingest` queue before.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from tenants.models import Tenant
from tracking import services
from tracking.carriers.base import NormalizedUpdate
from tracking.models import InboundWebhook, Shipment, ShipmentMilestone, TrackingEvent
from tracking.statuses import Milestone, TrackingStatus, milestones_for_transition, status_transition_allowed


def _shipments_for(updates: list[NormalizedUpdate]) -> dict[str, list[Shipment]]:
    found: dict[str, list[Shipment]] = {}
    numbers = {u.tracking_number for u in updates}
    for shipment in Shipment.objects.filter(tracking_number__in=numbers).order_by("pk"):
        found.setdefault(shipment.tracking_number, []).append(shipment)
    return found


def _pick(update: NormalizedUpdate, candidates: list[Shipment]) -> Shipment | None:
    exact = [s for s in candidates if s.carrier == update.carrier]
    if exact:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None


def shipment_recompute(tenant: Tenant, shipment_id: int, *,
                       announce: bool = True) -> list[ShipmentMilestone]:
    with transaction.atomic(savepoint=False):  # PROPOSED (3)
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        fold = services._Fold()
        reached = []
        for event in shipment.events.order_by("occurred_at", "pk"):
            fold.last_event_at = event.occurred_at
            if event.estimated_delivery:
                fold.estimated_delivery = event.estimated_delivery
            if not status_transition_allowed(fold.status, event.status):
                continue
            for milestone in milestones_for_transition(fold.status, event.status):
                reached.append((milestone, event.occurred_at))
                if milestone == Milestone.SHIPPED:
                    fold.shipped_at = event.occurred_at
            fold.status = event.status
            if event.status == TrackingStatus.EXCEPTION:
                fold.exception_cause, fold.exception_message = event.exception_cause, event.message
            if event.status == TrackingStatus.DELIVERED:
                fold.delivered_at = event.occurred_at

        shipment.status = fold.status or TrackingStatus.PENDING
        shipment.exception_cause = fold.exception_cause if fold.status == "exception" else ""
        shipment.exception_message = (fold.exception_message if fold.status == "exception" else "")[:500]
        shipment.shipped_at, shipment.delivered_at = fold.shipped_at, fold.delivered_at
        shipment.last_event_at = fold.last_event_at
        if fold.estimated_delivery:
            shipment.carrier_estimated_delivery = fold.estimated_delivery
        if shipment.stalled and fold.last_event_at:
            shipment.stalled = False
        shipment.save()

        existing = set(ShipmentMilestone.objects.filter(shipment=shipment).values_list(
            "milestone", flat=True))
        new = [ShipmentMilestone(tenant=tenant, shipment=shipment, milestone=m, occurred_at=at)
               for m, at in dict(reversed(reached)).items() if m not in existing]
        ShipmentMilestone.objects.bulk_create(new, ignore_conflicts=True)
        if new and announce:  # PROPOSED (4): the caller announces once
            from tracking.tasks import milestones_announce

            transaction.on_commit(lambda: services._enqueue(milestones_announce, tenant.pk),
                                  robust=True)
    return new


def updates_apply(tenant: Tenant, updates: Iterable[NormalizedUpdate], *,
                  inbound: InboundWebhook | None = None) -> int:
    updates = list(updates)
    shipments = _shipments_for(updates)  # PROPOSED (1)
    created_total, reached = 0, False
    for update in updates:
        with transaction.atomic():
            shipment = _pick(update, shipments.get(update.tracking_number, []))
            rows = [services._event_row(tenant, update.source, update, e, shipment, inbound)
                    for e in update.events]
            summary = services._summary_event(tenant, update, shipment, inbound)
            if summary is not None:
                rows.append(summary)
            # PROPOSED (2)
            stored = set(TrackingEvent.objects.filter(
                dedup_key__in=[r.dedup_key for r in rows]).values_list("dedup_key", flat=True))
            rows = [r for r in rows if r.dedup_key not in stored]
            if rows:
                TrackingEvent.objects.bulk_create(rows, ignore_conflicts=True)
            created = len(rows)
            created_total += created
            if shipment is not None:
                if update.estimated_delivery and not shipment.carrier_estimated_delivery:
                    Shipment.objects.filter(pk=shipment.pk).update(
                        carrier_estimated_delivery=update.estimated_delivery)
                if created and shipment_recompute(tenant, shipment.pk, announce=False):
                    reached = True
    if reached:  # PROPOSED (4): every update above has committed
        from tracking.tasks import milestones_announce

        services._enqueue(milestones_announce, tenant.pk)
    return created_total
