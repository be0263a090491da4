"""Queued carrier and generic-API bodies → applied, many at a time.

    webhook / API batch ── commit ──▶ drain_kick(tenant)
                                        │ SET NX drain flag (Redis): set ─▶ [task] inbound_drain
                                        │                  already set ─▶ nothing: the running
                                        │                                 drain looks again
    inbound_drain(tenant):                                                before it stops
      loop: claim ≤ DRAIN_BODIES queued bodies (FOR UPDATE SKIP LOCKED, oldest first)
            → parse → deliveries seen before (provider event id) marked duplicate
            → updates_apply_many: one insert, one recompute for all of them
            → processed, with the events each added
            more waiting after a batch? ask for a helper drain (up to DRAINS_PER_TENANT)
      nothing left: clear the flag, claim once more (a body committed before the clear was
      not kicked, so it must be seen now), then stop

Why: a Celery message per webhook cost more than storing the webhook, and applying bodies one
transaction each wasted the batching `updates_apply_many` can do. The flag lives in the Redis
that web and worker processes share.
The periodic sweep (tasks.tracking_sweep) starts a drain for bodies a lost kick left queued.
"""

from __future__ import annotations

import contextlib
import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from config import db
from config.redis_client import redis_client, redis_key
from tenants.models import InboundWebhook, Tenant
from tenants.queueing import enqueue

from .carriers import ADAPTERS, PayloadError
from .services import GENERIC_SOURCE, source_parser, updates_apply_many

logger = logging.getLogger(__name__)
Status = InboundWebhook.Status

# Bodies per transaction: webhooks carry one event, API batches up to 1,000.
DRAIN_BODIES = 25
# How long one drain task keeps going before it hands over to a new task (other tenants'
# work waits behind it on the same queue).
DRAIN_SECONDS = 20.0
# Longer than a batch may take: a flag left by a worker that died expires by itself.
FLAG_SECONDS = 60
DRAINED_SOURCES = frozenset([*ADAPTERS, GENERIC_SOURCE])  # Shopify bodies have their own path


def _flag(tenant_id: int, slot: int) -> str:
    return redis_key("tracking", "drain", tenant_id, slot)


def _flag_take(key: str) -> bool:
    return bool(redis_client().set(key, 1, nx=True, ex=FLAG_SECONDS))


def _flag_drop(key: str) -> None:
    redis_client().delete(key)


def drain_kick(tenant_id: int) -> None:
    """After a body was committed `queued`: make sure a drain will see it. Raises neither for
    a down Redis nor for a down broker: the sweep finds the body later."""
    from .tasks import inbound_drain

    flag = _flag(tenant_id, 0)
    try:
        if not _flag_take(flag):
            return  # a drain is queued or running, and looks again before it stops
    except RedisError as exc:
        logger.warning("could not take the ingest drain flag; the sweep will drain: %s", exc,
                       extra={"tenant_id": tenant_id})
        return
    if not enqueue(inbound_drain, tenant_id, what="the ingest drain"):
        with contextlib.suppress(RedisError):  # Redis is down too: the flag expires
            _flag_drop(flag)  # so the next body tries again


def inbound_drain(tenant: Tenant, *, slot: int = 0, seconds: float = DRAIN_SECONDS,
                  limit: int = DRAIN_BODIES) -> int:
    """Apply queued bodies until none is left (or `seconds` passed: then a fresh task goes
    on); returns how many bodies this call handled."""
    started, handled = time.monotonic(), 0
    flag, helped = _flag(tenant.pk, slot), False
    try:
        while True:
            count = inbound_drain_batch(tenant, limit=limit)
            handled += count
            if count:
                if time.monotonic() - started > seconds:
                    _hand_over(tenant, slot)
                    flag = ""  # the next task owns it now
                    return handled
                if not helped and handled > count:
                    helped = _ask_for_help(tenant, slot)  # bodies keep waiting: share the work
                with contextlib.suppress(RedisError):  # it expires; the sweep is the net
                    redis_client().expire(flag, FLAG_SECONDS)
                continue
            if slot != 0:
                return handled
            _flag_drop(flag)
            # Committed before the flag was cleared? Its kick found the flag set.
            count = inbound_drain_batch(tenant, limit=limit)
            handled += count
            if not count or not _flag_take(flag):
                flag = ""  # cleared, or another (kicked) drain holds it now
                return handled
    finally:
        if flag:
            with contextlib.suppress(RedisError):  # Redis is down: the flag expires by itself
                _flag_drop(flag)


def _hand_over(tenant: Tenant, slot: int) -> None:
    from .tasks import inbound_drain as task

    # Broker down: the sweep starts a drain for what is left.
    enqueue(task, tenant.pk, slot, what="the ingest drain hand-over")


def _ask_for_help(tenant: Tenant, slot: int) -> bool:
    helper = slot + 1
    if helper >= settings.INGEST_DRAINS_PER_TENANT:
        return False
    if not _flag_take(_flag(tenant.pk, helper)):
        return True  # already helping
    _hand_over(tenant, helper)
    return True


def inbound_drain_batch(tenant: Tenant, *, limit: int = DRAIN_BODIES) -> int:
    """Claim and apply up to `limit` queued bodies in one transaction; returns the count."""
    now = timezone.now()
    with transaction.atomic():
        claim = InboundWebhook.objects.filter(
            status=Status.QUEUED, source__in=DRAINED_SOURCES).order_by("pk")
        bodies = list(claim.select_for_update(skip_locked=True)[:limit])
        if not bodies:
            return 0
        parsed, outcome = [], {}
        for inbound in bodies:
            inbound.attempts += 1
            try:
                parsed.append((inbound, source_parser(inbound.source).parse(bytes(inbound.body))))
            except PayloadError as exc:
                outcome[inbound.pk] = (Status.FAILED, f"PayloadError: {exc.message}")
        for inbound in _seen_before(bodies, parsed):
            outcome[inbound.pk] = (Status.DUPLICATE, "This delivery arrived before.")
        parsed = [(inbound, updates) for inbound, updates in parsed if inbound.pk not in outcome]
        created = _apply(tenant, parsed, outcome)
        for inbound in bodies:
            inbound.status, inbound.error = outcome.get(inbound.pk, (Status.PROCESSED, ""))
            inbound.events_created = created.get(inbound.pk, 0)
            inbound.processed_at = now if inbound.status == Status.PROCESSED else None
        db.rows_update(InboundWebhook, tenant.pk, bodies,
                         ["status", "error", "attempts", "processed_at", "events_created"])
    return len(bodies)


def _seen_before(bodies: list[InboundWebhook], parsed) -> list[InboundWebhook]:
    """Bodies whose provider event id an earlier body already carried (a redelivery)."""
    ids = {b.provider_event_id for b, _ in parsed if b.provider_event_id}
    if not ids:
        return []
    earlier: dict[tuple[str, str], int] = {}
    for source, event_id, pk in InboundWebhook.objects.filter(
            provider_event_id__in=ids, status__in=[Status.PROCESSED, Status.QUEUED],
            pk__lt=max(b.pk for b in bodies)).values_list("source", "provider_event_id", "pk"):
        earlier[(source, event_id)] = min(pk, earlier.get((source, event_id), pk))
    seen = []
    for inbound, _ in parsed:
        if not inbound.provider_event_id:
            continue
        first = earlier.setdefault((inbound.source, inbound.provider_event_id), inbound.pk)
        if first < inbound.pk:
            seen.append(inbound)
    return seen


def _apply(tenant: Tenant, parsed, outcome: dict) -> dict[int | None, int]:
    """All bodies in one go; if that fails, each on its own so one bad body stops no other."""
    if not parsed:
        return {}
    try:
        with transaction.atomic():
            return updates_apply_many(tenant, parsed)
    except Exception as exc:  # noqa: BLE001 - recorded on the body, or retried body by body
        if len(parsed) == 1:
            _failed(parsed[0][0], exc, outcome)
            return {}
        logger.warning("batch apply failed; applying body by body", exc_info=True)
    created: dict[int | None, int] = {}
    for inbound, updates in parsed:
        try:
            with transaction.atomic():
                created.update(updates_apply_many(tenant, [(inbound, updates)]))
        except Exception as exc:  # noqa: BLE001 - recorded on the body, replayable once fixed
            _failed(inbound, exc, outcome)
    return created


def _failed(inbound: InboundWebhook, exc: Exception, outcome: dict) -> None:
    logger.error("inbound webhook processing failed", exc_info=exc,
                 extra={"inbound_id": inbound.pk})
    outcome[inbound.pk] = (Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
