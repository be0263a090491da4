"""The outbox's dispatcher: due Message rows → providers, exactly once to the shopper.

    every 10 s per tenant, and after          a send task (`messages` worker), per batch
    each milestone batch is planned
    messages_dispatch_due ── FOR UPDATE       messages_send(ids)
      SKIP LOCKED: scheduled & due, ≤ 100       ├ lock the rows; still wanted? (one batch of
      ├ still wanted? (preparing.py: one         │  checks: a STOP or unsubscribe since the claim)
      │  batch of checks)  no ─▶ suppressed      │     no ─▶ suppressed + reason
      ├ render the batch (contexts loaded        ├ rate limits (tenant, sender: one INCRBY each)
      │  together, prepared template)            │     over ─▶ scheduled a moment later
      ├ content + `queued`, one UPDATE           ├ per message: queued → sending (committed)
      └ after commit: send tasks of ≤ 100 ids    │     ── provider.send()
                                                 │     ok ─▶ recorded with the batch: sent +
                                                 │           provider id, event, timeline
                                                 │     temporary ─▶ scheduled, backoff
                                                 │                  (failed after MAX)
                                                 │     permanent ─▶ failed + reason
                                                 └ crash after `sending` ─▶ messages_sweep finds
                                                   it later ─▶ uncertain (never resent)

A message only moves from `queued` to `sending` through one conditional UPDATE, so a task
delivered twice, a re-queue by the sweep, or two dispatchers at once cannot send it twice.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from config import db
from tenants.models import Tenant
from tenants.queueing import enqueue

from .models import Message, Suppression
from .outcomes import Outcome, events_record, messages_finish, messages_update, timeline_record
from .preparing import (
    RENDERED_FIELDS,
    is_rendered,
    messages_check,
    messages_facts,
    messages_render,
)
from .providers import (
    PermanentSendError,
    SendError,
    TemporarySendError,
    Transport,
    UncertainSendError,
    transport_for,
)
from .ratelimit import rate_limits, rate_take_many

logger = logging.getLogger(__name__)
S = Message.Status

MAX_ATTEMPTS = 6  # provider calls per message before a temporary error becomes `failed`
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=2)
# Messages per claim. Two workers sharing a backlog finish together when the claims are
# small enough to come out even (200 left one worker rendering the last claim alone, a
# tenth slower in all); much smaller and the batch's fixed queries start to show.
CLAIM = 100
# Message ids per send task: one task per claimed batch would leave one of the workers idle;
# a hundred keeps the per-task work (a lock, the checks, the records) well spread.
TASK_BATCH = 100
# Twilio error codes that put the number on the tenant's suppression list.
TWILIO_SUPPRESS = {"21610": Suppression.Reason.SMS_STOP}


def _now() -> datetime:
    """The dispatcher's clock; tests replace it."""
    return timezone.now()


def sending_stuck_after() -> timedelta:
    """A row still `sending` after this was left by a crash between the provider's answer and
    our record (MESSAGING_SENDING_STUCK_SECONDS: far longer than a provider call may take)."""
    return timedelta(seconds=settings.MESSAGING_SENDING_STUCK_SECONDS)


def queued_stuck_after() -> timedelta:
    """A row still `queued` after this lost its send task (a broker outage)."""
    return timedelta(seconds=settings.MESSAGING_QUEUED_STUCK_SECONDS)


def retry_delay(attempt: int, *, rand: Callable[[], float] = random.random) -> timedelta:
    """Exponential backoff with jitter after the `attempt`-th failed call: 30 s, 1 min,
    2 min … capped at 2 h, each drawn from the upper half of its step so a burst of
    failures spreads out without any retry coming much sooner than planned."""
    step = min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempt - 1))
    return step * (0.5 + rand() / 2)


# --- claiming due messages -------------------------------------------------------------

def messages_dispatch_due(tenant: Tenant, *, now: datetime | None = None, limit: int = CLAIM,
                          on_backlog: Callable[[], None] | None = None) -> int:
    """Claim up to `limit` due messages, check and render them as one batch (preparing.py),
    store them `queued` (or `suppressed`/`failed` with the reason) and queue their send tasks
    after commit. Concurrent dispatchers skip each other's rows (SKIP LOCKED); returns how
    many were claimed. `on_backlog` is called as soon as a claim comes back full (more may be
    waiting), before the batch is rendered: the task asks a second worker to share it."""
    now = now or _now()
    with transaction.atomic():
        # The claim commits without waiting for its WAL to reach the disk (a millisecond of
        # a batch's 25). Safe: should PostgreSQL crash before the flush, the batch is
        # `scheduled` again and claimed afresh; its send tasks, finding nothing `queued`, do
        # nothing; and the `queued → sending` commit that precedes any provider call is
        # synchronous, which flushes this one first (the WAL is written in order).
        db.execute("SET LOCAL synchronous_commit TO OFF")
        claimed = db.instances_where(Message, tenant.pk, {"status": S.SCHEDULED,
                                                          "due_at__lte": now},
                                     order_by=("due_at", "pk"), limit=limit,
                                     lock="FOR UPDATE SKIP LOCKED")
        if not claimed:
            return 0
        if on_backlog is not None and len(claimed) == limit:
            on_backlog()
        for message in claimed:
            message.tenant = tenant
        facts = messages_facts(tenant, claimed, pending_counts=True)
        wanted, outcomes = messages_check(tenant, claimed, pending_counts=True, facts=facts)
        ready, failed = messages_render(tenant, wanted, facts=facts)
        for message in ready:
            message.status, message.updated_at = S.QUEUED, now
        messages_update(tenant, ready, ["status", "updated_at", *RENDERED_FIELDS])
        messages_finish(tenant, outcomes + failed, now)
        ids = [m.pk for m in ready]
        if ids:
            transaction.on_commit(lambda: _sends_queue(tenant.pk, ids))
    return len(claimed)


def _sends_queue(tenant_id: int, ids: list[int]) -> None:
    """Send tasks of up to TASK_BATCH ids each (run after commit). The broker down: the
    first failure is logged and the rest are not tried; messages_sweep queues them again."""
    from .tasks import messages_send_batch

    for start in range(0, len(ids), TASK_BATCH):
        batch = ids[start:start + TASK_BATCH]
        # The arguments' repr for logs and monitoring, made by repr() in C: Celery's own
        # (saferepr, in Python) of a hundred ids cost more than the rest of publishing.
        if not enqueue(messages_send_batch, tenant_id, batch, what="message sends",
                       argsrepr=repr((tenant_id, batch))):
            return


# --- sending ---------------------------------------------------------------------------

def message_send(tenant: Tenant, message_id: int) -> str:
    """Send one queued message; returns the status it ends in (see messages_send)."""
    return _send(tenant, [message_id])[message_id]


def messages_send(tenant: Tenant, message_ids: list[int]) -> dict[str, int]:
    """Send a batch of queued messages (one send task); returns how many ended in each
    status. Anything not `queued` is left alone (handled by another task already), which
    makes the task safe to run twice."""
    outcomes: dict[str, int] = {}
    for status in _send(tenant, message_ids).values():
        outcomes[status] = outcomes.get(status, 0) + 1
    return outcomes


def _send(tenant: Tenant, message_ids: list[int]) -> dict[int, str]:
    now = _now()
    statuses: dict[int, str] = dict.fromkeys(message_ids, "missing")
    with transaction.atomic():
        # Rows locked in id order (no deadlock with a duplicate task); the checks and rate
        # limits below are the batch's, and nothing here calls a provider.
        rows = db.instances_where(Message, tenant.pk, {"id__in": message_ids},
                                  order_by=("pk",), lock="FOR UPDATE")
        for message in rows:
            message.tenant = tenant
            statuses[message.pk] = message.status
        queued = [m for m in rows if m.status == S.QUEUED]
        if not queued:
            return statuses
        wanted, dropped = messages_check(tenant, queued, pending_counts=False)
        # Queued by an older dispatcher, or rows written by hand: render them here.
        unrendered = {m.pk for m in wanted if not is_rendered(m)}
        ready, failed = messages_render(tenant, wanted)
        messages_update(tenant, [m for m in ready if m.pk in unrendered], RENDERED_FIELDS)
        messages_finish(tenant, dropped + failed, now)
        for outcome in dropped + failed:
            statuses[outcome.message.pk] = outcome.status
        transports = {channel: transport_for(tenant, channel)
                      for channel in {m.channel for m in ready}}
        waits = _rate_waits(tenant, ready, transports, now)
        waiting = [m for m in ready if waits.get(m.pk)]
        for message in waiting:
            message.status, message.updated_at = S.SCHEDULED, now
            message.due_at = now + timedelta(seconds=waits[message.pk] + random.uniform(0, 0.25))
            message.status_reason = "Waiting for the sender's rate limit."
            statuses[message.pk] = S.SCHEDULED
        messages_update(tenant, waiting, ["status", "updated_at", "due_at", "status_reason"])
        to_send = [m for m in ready if not waits.get(m.pk)]
    sent: list[tuple[Message, Transport, str]] = []
    for message in to_send:
        try:
            statuses[message.pk] = _send_one(tenant, message, transports[message.channel],
                                             now, sent)
        except Exception:  # noqa: BLE001 - left `sending` (→ uncertain); the rest still go
            logger.exception("message send crashed", extra={"message_id": message.pk})
            statuses[message.pk] = "crashed"
    if sent:
        try:
            _sent(tenant, sent, now)
        except Exception:  # noqa: BLE001 - left `sending`: the sweep makes them `uncertain`
            logger.exception("recording sent messages crashed",
                             extra={"message_ids": [m.pk for m, _, _ in sent]})
            for message, _, _ in sent:
                statuses[message.pk] = "crashed"
    return statuses


_TO_SENDING = ("UPDATE messaging_message SET status = %s, attempts = attempts + 1, "
               "provider = %s, status_reason = '', updated_at = %s "
               "WHERE tenant_id = %s AND id = %s AND status = %s")


def _send_one(tenant: Tenant, message: Message, transport: Transport, now: datetime,
              sent: list) -> str:
    """`queued → sending` committed on its own (the only way to `sending`), then the provider."""
    with connection.cursor() as cursor:
        # One prepared-shape statement per message (the ORM's filter and update building cost
        # more than the round trip); the status guard is what makes it exactly once.
        cursor.execute(_TO_SENDING, [S.SENDING, transport.name, now, tenant.pk, message.pk,
                                     S.QUEUED])
        moved = cursor.rowcount
    if not moved:  # another task got there first (a duplicate delivery, the sweep)
        current = Message.objects.filter(pk=message.pk).values_list(
            "status", flat=True).first()
        return current or "missing"
    message.status, message.attempts = S.SENDING, message.attempts + 1
    message.provider, message.status_reason = transport.name, ""
    # Committed: from here on a crash leaves `sending`, which the sweep makes `uncertain`.
    try:
        provider_id = transport.send(message)
    except PermanentSendError as error:
        return _failed(tenant, message, error, now)
    except UncertainSendError as error:
        return _uncertain(tenant, message, error, now)
    except TemporarySendError as error:
        return _retry(tenant, message, error, now)
    sent.append((message, transport, provider_id))
    return S.SENT


def _rate_waits(tenant: Tenant, messages: list[Message], transports: dict[str, Transport],
                now: datetime) -> dict[int, float]:
    """Seconds each message must wait for the tenant's cap, then its sender's (0: send now);
    one counter increment per cap for the whole batch."""
    waits: dict[int, float] = {}
    tenant_waits = rate_take_many(f"tenant:{tenant.pk}", rate_limits()["tenant"], len(messages),
                                  now=now)
    passed: dict[str, list[Message]] = {}
    for message, wait in zip(messages, tenant_waits, strict=True):
        if wait:
            waits[message.pk] = wait
        else:
            passed.setdefault(message.channel, []).append(message)
    for channel, group in passed.items():
        transport = transports[channel]
        if transport.rate_key and transport.rate_per_second:
            for message, wait in zip(group, rate_take_many(
                    transport.rate_key, transport.rate_per_second, len(group), now=now),
                    strict=True):
                waits[message.pk] = wait
    return waits


# --- recording outcomes ----------------------------------------------------------------

def _sent(tenant: Tenant, sent: list[tuple[Message, Transport, str]], now: datetime) -> None:
    """Record the provider's acceptance of a batch: the rows, an event and a timeline line
    each, in one transaction. `sending` (or `uncertain`: if the sweep got there first, we now
    know it was accepted) becomes `sent`; a provider callback recorded first (delivered,
    opened…) keeps its status. Every row gets the provider's id and a send time."""
    for message, transport, provider_id in sent:
        message.provider, message.provider_message_id = transport.name, provider_id[:100]
        message.updated_at = now
    with transaction.atomic():
        _sent_rows(tenant, [m for m, _, _ in sent], now)
        events_record(tenant, [
            (message, "sent", {"attempt": message.attempts, "provider": transport.name,
                               "provider_message_id": provider_id[:100]})
            for message, transport, provider_id in sent], now)
        timeline_record(tenant, [(message, f"sent via {transport.name}", "sent",
                                  f"sent:{provider_id}") for message, transport, provider_id in sent])
    for message, _, _ in sent:
        message.status = S.SENT


# One UPDATE, so each row gets one new version, not three: every SET reads the row as it was.
# Rows found by primary key, the tenant checked through the join (as config.db.rows_update).
_SENT = ("UPDATE messaging_message AS t SET "
         "status = CASE WHEN t.status IN (%s, %s) THEN %s ELSE t.status END, "
         "status_reason = CASE WHEN t.status IN (%s, %s) THEN '' ELSE t.status_reason END, "
         "sent_at = CASE WHEN t.status IN (%s, %s) THEN %s ELSE COALESCE(t.sent_at, %s) END, "
         "provider = v.provider, provider_message_id = v.provider_message_id, updated_at = %s "
         "FROM unnest(%b::bigint[], %b::bigint[], %b::text[], %b::text[]) AS v(id, tenant_id, "
         "provider, provider_message_id) "
         "WHERE t.id = ANY(%b::bigint[]) AND t.id = v.id AND t.tenant_id = v.tenant_id")


def _sent_rows(tenant: Tenant, messages: list[Message], now: datetime) -> None:
    moving = (S.SENDING, S.UNCERTAIN)
    ids = [m.pk for m in messages]
    db.execute(_SENT, [*moving, S.SENT, *moving, *moving, now, now, now, ids,
                       [tenant.pk] * len(ids), [m.provider for m in messages],
                       [m.provider_message_id for m in messages], ids])


def _uncertain(tenant: Tenant, message: Message, error: SendError, now: datetime) -> str:
    reason = f"{error.reason}: it may have been sent; check before sending again"
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=S.UNCERTAIN, status_reason=reason[:500], updated_at=now)
        events_record(tenant, [(message, "uncertain", {
            "reason": reason, "provider": error.provider, "attempt": message.attempts})], now)
    message.status, message.status_reason = S.UNCERTAIN, reason[:500]
    return S.UNCERTAIN


def _failed(tenant: Tenant, message: Message, error: SendError, now: datetime,
            *, reason: str | None = None) -> str:
    reason = reason or error.reason
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=S.FAILED, status_reason=reason[:500], updated_at=now)
        suppress = TWILIO_SUPPRESS.get(error.code or "") if error.provider == "twilio" else None
        if suppress:
            # The provider knows of an opt-out we had not heard of: remember it for every
            # later message (ON CONFLICT DO NOTHING: it may be listed already).
            Suppression.objects.bulk_create([Suppression(
                tenant=tenant, channel=message.channel, address=message.recipient,
                reason=suppress, source=error.provider)], ignore_conflicts=True)
        events_record(tenant, [(message, "failed", {
            "reason": reason, "code": error.code, "provider": error.provider,
            "attempt": message.attempts, "permanent": error.permanent})], now)
        timeline_record(tenant, [(message, f"not sent ({reason})", "failed",
                                  f"failed:{message.attempts}")])
    message.status, message.status_reason = S.FAILED, reason[:500]
    return S.FAILED


def _retry(tenant: Tenant, message: Message, error: TemporarySendError, now: datetime) -> str:
    if message.attempts >= MAX_ATTEMPTS:
        return _failed(tenant, message, error,
                       now, reason=f"Gave up after {message.attempts} attempts: {error.reason}")
    due = now + retry_delay(message.attempts)
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=S.SCHEDULED, due_at=due, status_reason=f"Will retry: {error.reason}"[:500],
            updated_at=now)
        events_record(tenant, [(message, "retry", {
            "reason": error.reason, "code": error.code, "provider": error.provider,
            "attempt": message.attempts, "due_at": due.isoformat()})], now)
    message.status, message.due_at = S.SCHEDULED, due
    return S.SCHEDULED


# --- the safety net ----------------------------------------------------------------------

UNCERTAIN_REASON = ("We handed this message to the provider but did not record its answer "
                    "(the worker stopped). It may have reached the shopper: check the provider's "
                    "log before sending it again.")


def messages_sweep(tenant: Tenant, *, now: datetime | None = None) -> dict[str, int]:
    """Rows stuck in `sending` become `uncertain` (visible, never resent automatically);
    rows `queued` whose task never ran are queued again."""
    now = now or _now()
    with transaction.atomic():
        stuck = Message.objects.filter(status=S.SENDING,
                                       updated_at__lt=now - sending_stuck_after())
        stuck = list(stuck.select_for_update(skip_locked=True)[:500])
        for message in stuck:
            message.tenant = tenant
        messages_finish(tenant, [Outcome(m, S.UNCERTAIN, UNCERTAIN_REASON, "uncertain")
                                 for m in stuck], now)
    with transaction.atomic():
        lost = list(Message.objects.filter(status=S.QUEUED,
                                           updated_at__lt=now - queued_stuck_after())
                    .values_list("pk", flat=True)[:1000])
        if lost:
            Message.objects.filter(pk__in=lost).update(updated_at=now)
            transaction.on_commit(lambda: _sends_queue(tenant.pk, lost))
    return {"uncertain": len(stuck), "requeued": len(lost)}
