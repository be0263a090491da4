"""The announcement half of an outbox: rows written with a state change (milestones) are
announced once each through a signal, then marked. The row is locked (SKIP LOCKED, so two
workers share the work) and marked in the same transaction in which the signal's receivers
write theirs: a receiver that fails rolls the mark back and the sweep tries again."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Model
from django.dispatch import Signal
from django.utils import timezone

from .models import Tenant

BATCH = 100
# Sent once per batch, just before the batch's per-row signals and in the same transaction:
# `rows_announced(sender=model, tenant, rows=[…], row_signal=<the per-row signal>)`, for
# receivers that do their work for many rows at once (a query per batch, not per row).
rows_announced = Signal()


def outbox_announce(tenant: Tenant, model: type[Model], signal: Signal) -> int:
    """Send `signal(sender=model, tenant, milestone=row)` for every row of `model` (in the
    tenant in scope) with `announced_at` unset; returns how many were announced."""
    count = 0
    while True:
        with transaction.atomic():
            batch = list(model.objects.select_for_update(skip_locked=True)
                         .filter(announced_at=None).order_by("pk")[:BATCH])
            if batch:
                rows_announced.send(sender=model, tenant=tenant, rows=batch, row_signal=signal)
            for row in batch:
                signal.send(sender=model, tenant=tenant, milestone=row)
            if batch:
                # One UPDATE for the batch (a save per row cost more than planning the rows'
                # messages), still in the transaction the receivers wrote theirs in.
                announced_at = timezone.now()
                model.objects.filter(pk__in=[row.pk for row in batch]).update(
                    announced_at=announced_at)
                for row in batch:
                    row.announced_at = announced_at
            count += len(batch)
        if len(batch) < BATCH:
            return count
