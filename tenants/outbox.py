"""The outbox (Sentry's outbox categories): rows written in the same transaction as a state
change, each of an explicit kind, handed once to the processor registered for that kind.

    owner's table (an OutboxRow)   kind "tracking.shipment_milestone", announced_at NULL
        │  written with the state change; the owner queues its drain after commit, and its
        │  periodic sweep queues it again for rows still unannounced (the safety net)
        ▼
    outbox_drain(tenant, model)    a batch locked (SKIP LOCKED: workers share the work)
        ├─▶ PROCESSORS[kind](tenant, rows)   one call per kind in the batch, same transaction
        └─▶ announced_at set in one UPDATE   a processor that raises rolls the mark back and
                                             the next drain or sweep tries again

The app that owns a row names its kind (`<app>.<what>`, a constant beside its model); the app
that reacts to it, usually a higher one, registers the processor from its AppConfig.ready(). So
the owner never names who listens, and a row whose kind nobody registered fails loudly instead
of being marked as if someone had handled it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone

from .models import Tenant
from .scoping import TenantScopedModel

BATCH = 100
# Processors do their work for a whole batch at once (a query per batch, not per row).
OutboxProcessor = Callable[[Tenant, Sequence[Any]], None]
# kind -> processor; filled by outbox_processor_register only.
PROCESSORS: dict[str, OutboxProcessor] = {}


class OutboxKindUnknown(RuntimeError):
    """An outbox row's kind has no registered processor: a deploy without the app that
    handles it, or a typo. Nothing in the batch is marked, so the rows wait for the fix."""


class OutboxRow(TenantScopedModel):
    """The fields every outbox table has. A concrete table declares its kind as the field's
    default, so the code that writes a row need not repeat it."""

    kind = models.CharField(max_length=64)
    # Set when the kind's processor ran for the row; the sweep drains rows still without it.
    announced_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        abstract = True


def outbox_processor_register(kind: str, processor: OutboxProcessor) -> None:
    """Make `processor(tenant, rows)` handle the rows of `kind` (call it from
    AppConfig.ready()). One processor per kind: a second, different one is a configuration
    error, not a silent replacement. Registering the same one again (ready() re-run) is fine."""
    registered = PROCESSORS.setdefault(kind, processor)
    if registered is not processor:
        raise ImproperlyConfigured(
            f"outbox kind {kind!r} already has a processor ({registered.__module__}."
            f"{registered.__qualname__}); refusing {processor.__module__}.{processor.__qualname__}")


def outbox_drain(tenant: Tenant, model: type[OutboxRow]) -> int:
    """Hand every row of `model` (in the tenant in scope) with `announced_at` unset to its
    kind's processor, a batch at a time, and mark them; returns how many were processed.
    Raises OutboxKindUnknown, or whatever a processor raised, with the batch left unmarked."""
    count = 0
    while True:
        with transaction.atomic():
            batch = list(model.objects.select_for_update(skip_locked=True)
                         .filter(announced_at=None).order_by("pk")[:BATCH])
            by_kind: dict[str, list[OutboxRow]] = {}
            for row in batch:
                by_kind.setdefault(row.kind, []).append(row)
            for kind, rows in by_kind.items():
                processor = PROCESSORS.get(kind)
                if processor is None:
                    raise OutboxKindUnknown(
                        f"no processor registered for outbox kind {kind!r} ({len(rows)} "
                        f"{model._meta.label} rows, first id {rows[0].pk})")
                processor(tenant, rows)
            if batch:
                # One UPDATE for the batch (a save per row cost more than planning the rows'
                # messages), still in the transaction the processors wrote theirs in.
                announced_at = timezone.now()
                model.objects.filter(pk__in=[row.pk for row in batch]).update(
                    announced_at=announced_at)
                for row in batch:
                    row.announced_at = announced_at
            count += len(batch)
        if len(batch) < BATCH:
            return count
