"""The outbox's dispatcher: due Message rows → providers, exactly once to the shopper.

    every 10 s, per tenant                      per message (a `messages` worker)
    messages_dispatch_due ── FOR UPDATE ──▶ queued ──▶ message_send
      SKIP LOCKED: scheduled & due                      ├ still wanted? (suppression list, consent,
      (batched tasks after commit)                      │  preferences, journeys.message_relevance)
                                                        │     no ─▶ suppressed + reason
                                                        ├ render once (rendering/), store content
                                                        ├ rate limits (tenant, sender)
                                                        │     over ─▶ scheduled a moment later
                                                        ├ sending ── COMMIT ── provider.send()
                                                        │     ok ─▶ sent + provider id
                                                        │     temporary ─▶ scheduled, backoff
                                                        │                  (failed after MAX)
                                                        │     permanent ─▶ failed + reason
                                                        └ crash after `sending` ─▶ messages_sweep
                                                              finds it later ─▶ uncertain
                                                              (never resent automatically)

A message only moves forward from `queued` under its row lock, so a task delivered twice, a
re-queue by the sweep, or two dispatchers at once cannot send it twice.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from orders.services.timeline import order_event_record
from tenants.models import Tenant

from .models import Channel, Message, MessageEvent, MessagePreference, Suppression
from .providers import (
    PermanentSendError,
    SendError,
    TemporarySendError,
    Transport,
    UncertainSendError,
    transport_for,
)
from .ratelimit import rate_limits, rate_take

logger = logging.getLogger(__name__)
S = Message.Status

MAX_ATTEMPTS = 6  # provider calls per message before a temporary error becomes `failed`
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=2)
# Far longer than a provider call may take (its timeout is seconds): a row still `sending`
# after this was left by a crash between the provider's answer and our record.
SENDING_STUCK_AFTER = timedelta(minutes=10)
QUEUED_STUCK_AFTER = timedelta(minutes=5)  # queued, but its task never ran (broker outage)
TASK_BATCH = 20  # message ids per send task: fewer broker round trips, still parallel
SUPPRESSION_REASON_WORDS = dict(Suppression.Reason.choices)
# Twilio error codes that put the number on the tenant's suppression list.
TWILIO_SUPPRESS = {"21610": Suppression.Reason.SMS_STOP}


def _now() -> datetime:
    """The dispatcher's clock; tests replace it."""
    return timezone.now()


def retry_delay(attempt: int, *, rand: Callable[[], float] = random.random) -> timedelta:
    """Exponential backoff with jitter after the `attempt`-th failed call: 30 s, 1 min,
    2 min … capped at 2 h, each drawn from the upper half of its step so a burst of
    failures spreads out without any retry coming much sooner than planned."""
    step = min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempt - 1))
    return step * (0.5 + rand() / 2)


# --- claiming due messages -------------------------------------------------------------

def messages_dispatch_due(tenant: Tenant, *, now: datetime | None = None, limit: int = 200) -> int:
    """Claim up to `limit` due messages (scheduled → queued) and queue their sends after
    commit. Concurrent dispatchers skip each other's rows (PostgreSQL); returns the count."""
    now = now or _now()
    with transaction.atomic():
        due = (Message.objects.filter(tenant=tenant, status=S.SCHEDULED, due_at__lte=now)
               .order_by("due_at", "pk"))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            Message.objects.filter(tenant=tenant, pk__in=ids).update(status=S.QUEUED, updated_at=now)
            transaction.on_commit(lambda: _enqueue(tenant.pk, ids), robust=True)
    return len(ids)


def _enqueue(tenant_id: int, ids: list[int]) -> None:
    from .tasks import messages_send_batch

    for start in range(0, len(ids), TASK_BATCH):
        try:
            messages_send_batch.delay(tenant_id, ids[start:start + TASK_BATCH])
        except Exception:  # noqa: BLE001 - broker down: messages_sweep queues them again
            logger.warning("could not queue message sends", exc_info=True,
                           extra={"tenant_id": tenant_id, "count": len(ids)})
            return


# --- sending one message ---------------------------------------------------------------

def message_send(tenant: Tenant, message_id: int) -> str:
    """Send one queued message; returns the status it ends in. Anything not `queued` is left
    alone (already handled by another task), which makes the task safe to run twice."""
    now = _now()
    with transaction.atomic():
        message = (Message.objects.select_for_update()
                   .filter(tenant=tenant, pk=message_id).first())
        if message is None or message.status != S.QUEUED:
            return message.status if message else "missing"
        message.tenant = tenant
        reason = _suppression_reason(message)
        if reason:
            _finish(tenant, message, S.SUPPRESSED, reason, kind="suppressed", now=now)
            return S.SUPPRESSED
        if not (message.text_body or message.html_body):
            problem = _render(tenant, message, now)
            if problem:
                _finish(tenant, message, S.FAILED, problem, kind="failed", now=now)
                return S.FAILED
        transport = transport_for(tenant, message.channel)
        wait = _rate_wait(tenant, transport, now)
        if wait:
            due = now + timedelta(seconds=wait + random.uniform(0, 0.25))
            _update(message, now, status=S.SCHEDULED, due_at=due,
                    status_reason="Waiting for the sender's rate limit.")
            return S.SCHEDULED
        _update(message, now, status=S.SENDING, attempts=message.attempts + 1,
                provider=transport.name, status_reason="")
    # Committed: from here on a crash leaves `sending`, which the sweep makes `uncertain`.
    try:
        provider_id = transport.send(message)
    except PermanentSendError as error:
        return _failed(tenant, message, error, now)
    except UncertainSendError as error:
        return _uncertain(tenant, message, error, now)
    except TemporarySendError as error:
        return _retry(tenant, message, error, now)
    _sent(tenant, message, transport, provider_id, now)
    return S.SENT


def messages_send(tenant: Tenant, message_ids: list[int]) -> dict[str, int]:
    """A batch from one dispatch: each message on its own (one failure stops nothing)."""
    outcomes: dict[str, int] = {}
    for message_id in message_ids:
        try:
            status = message_send(tenant, message_id)
        except Exception:  # noqa: BLE001 - left `sending` (→ uncertain) or `queued` (→ re-queued)
            logger.exception("message send crashed", extra={"message_id": message_id})
            status = "crashed"
        outcomes[status] = outcomes.get(status, 0) + 1
    return outcomes


def _update(message: Message, now: datetime, **fields) -> None:
    """Write a transition with an explicit `updated_at` (the sweep's clock reads it)."""
    Message.objects.filter(tenant_id=message.tenant_id, pk=message.pk).update(updated_at=now, **fields)
    for name, value in fields.items():
        setattr(message, name, value)


def _suppression_reason(message: Message) -> str | None:
    address = message.recipient.lower() if message.channel == Channel.EMAIL else message.recipient
    listed = Suppression.objects.filter(tenant_id=message.tenant_id, channel=message.channel,
                                        address=address).first()
    if listed:
        return (f"{address} is on the suppression list "
                f"({SUPPRESSION_REASON_WORDS.get(listed.reason, listed.reason).lower()}).")
    customer = message.customer
    if customer is not None:
        if not getattr(customer, f"transactional_{message.channel}_consent", False):
            return f"The shopper has not agreed to receive {message.get_channel_display()} messages."
        conditions = message.rule.conditions if message.rule_id and message.rule else {}
        if (isinstance(conditions, dict) and conditions.get("marketing_consent")
                and not _marketing_consent(message)):
            return "The shopper has not agreed to marketing messages."
        if MessagePreference.objects.filter(
                tenant_id=message.tenant_id, customer=customer, milestone=message.milestone,
                channel=message.channel, enabled=False).exists():
            return "The shopper turned these messages off on the preferences page."
    return _relevance(message)


def _relevance(message: Message) -> str | None:
    import importlib

    journeys = importlib.import_module("messaging.journeys")
    relevance = getattr(journeys, "message_relevance", None)
    return relevance(message) if relevance else None


def _marketing_consent(message: Message) -> bool:
    customer = message.customer
    return bool(customer and getattr(customer, f"marketing_{message.channel}_consent", False))


def _render(tenant: Tenant, message: Message, now: datetime) -> str | None:
    """Render and store the content on the row (in the claiming transaction); returns a
    problem to fail the message with, or None. Retries reuse what was rendered here."""
    from . import rendering

    version = message.template_version
    template = version.template if version else (message.rule.template if message.rule else None)
    if template is None:
        return "There is no template to render this message with (its journey rule is gone)."
    if version is None:
        customer = message.customer
        locale = message.locale or (customer.locale if customer else "") or tenant.default_locale
        version = rendering.template_version_current(template, locale)
        if version is None:
            return f"The template “{template.name}” has no version to send."
    include_marketing = bool(template.has_marketing_content and _marketing_consent(message))
    message.includes_marketing = include_marketing
    try:
        with transaction.atomic():
            context = rendering.context_for(
                tenant, milestone=message.milestone, order=message.order,
                shipment=message.shipment, customer=message.customer, message=message,
                include_marketing=include_marketing)
            rendered = rendering.render_message(version, context, message=message)
    except Exception as error:  # noqa: BLE001 - any template problem fails this message, visibly
        logger.warning("message render failed", exc_info=True, extra={"message_id": message.pk})
        return f"The template could not be rendered: {error}"[:500]
    _update(message, now, template_version=version,
            locale=version.locale, subject=rendered.subject[:300],
            preheader=(rendered.preheader or "")[:300], html_body=rendered.html or "",
            text_body=rendered.text or "", links=list(rendered.links or []),
            includes_marketing=include_marketing)
    return None


def _rate_wait(tenant: Tenant, transport: Transport, now: datetime) -> float:
    wait = rate_take(f"tenant:{tenant.pk}", rate_limits()["tenant"], now=now)
    if not wait and transport.rate_key and transport.rate_per_second:
        wait = rate_take(transport.rate_key, transport.rate_per_second, now=now)
    return wait


# --- recording outcomes ----------------------------------------------------------------

def _event(tenant: Tenant, message: Message, kind: str, now: datetime, **data) -> None:
    MessageEvent.objects.create(tenant=tenant, message=message, kind=kind, occurred_at=now,
                                source="dispatcher", data=data)


def _timeline(tenant: Tenant, message: Message, words: str, kind: str, dedup: str) -> None:
    if message.order_id:
        order_event_record(
            tenant, message.order_id, "message",
            # No address here: the timeline outlives a shopper's erasure (Message rows do not).
            f"{message.get_channel_display()} “{message.milestone}”: {words}",
            actor="dispatcher", data={"message_id": message.pk, "kind": kind},
            dedup_key=f"message:{message.pk}:{dedup}")


def _finish(tenant: Tenant, message: Message, status: str, reason: str, *, kind: str,
            now: datetime, **data) -> None:
    """A final outcome decided before any provider call (in the claiming transaction)."""
    _update(message, now, status=status, status_reason=reason[:500])
    _event(tenant, message, kind, now, reason=reason, **data)
    _timeline(tenant, message, reason, kind, f"{kind}:{message.attempts}")


def _sent(tenant: Tenant, message: Message, transport: Transport, provider_id: str,
          now: datetime) -> None:
    with transaction.atomic():
        ids = {"provider": transport.name, "provider_message_id": provider_id[:100]}
        # `uncertain` too: if the sweep got there first, we now know it was accepted.
        moved = Message.objects.filter(
            tenant=tenant, pk=message.pk, status__in=(S.SENDING, S.UNCERTAIN)).update(
            status=S.SENT, sent_at=now, status_reason="", updated_at=now, **ids)
        if not moved:
            # A provider callback (delivered, opened…) was recorded first: keep its status.
            Message.objects.filter(tenant=tenant, pk=message.pk).update(updated_at=now, **ids)
            Message.objects.filter(tenant=tenant, pk=message.pk, sent_at=None).update(sent_at=now)
        _event(tenant, message, "sent", now, attempt=message.attempts, **ids)
        _timeline(tenant, message, f"sent via {transport.name}", "sent", f"sent:{provider_id}")


def _uncertain(tenant: Tenant, message: Message, error: SendError, now: datetime) -> str:
    reason = f"{error.reason}: it may have been sent; check before sending again"
    with transaction.atomic():
        Message.objects.filter(tenant=tenant, pk=message.pk, status=S.SENDING).update(
            status=S.UNCERTAIN, status_reason=reason[:500], updated_at=now)
        _event(tenant, message, "uncertain", now, reason=reason, provider=error.provider,
               attempt=message.attempts)
    message.status, message.status_reason = S.UNCERTAIN, reason[:500]
    return S.UNCERTAIN


def _failed(tenant: Tenant, message: Message, error: SendError, now: datetime,
            *, reason: str | None = None) -> str:
    reason = reason or error.reason
    with transaction.atomic():
        Message.objects.filter(tenant=tenant, pk=message.pk, status=S.SENDING).update(
            status=S.FAILED, status_reason=reason[:500], updated_at=now)
        suppress = TWILIO_SUPPRESS.get(error.code or "") if error.provider == "twilio" else None
        if suppress:
            # The provider knows of an opt-out we had not heard of: remember it for every
            # later message (ON CONFLICT DO NOTHING: it may be listed already).
            Suppression.objects.bulk_create([Suppression(
                tenant=tenant, channel=message.channel, address=message.recipient,
                reason=suppress, source=error.provider)], ignore_conflicts=True)
        _event(tenant, message, "failed", now, reason=reason, code=error.code,
               provider=error.provider, attempt=message.attempts, permanent=error.permanent)
        _timeline(tenant, message, f"not sent ({reason})", "failed", f"failed:{message.attempts}")
    message.status, message.status_reason = S.FAILED, reason[:500]
    return S.FAILED


def _retry(tenant: Tenant, message: Message, error: TemporarySendError, now: datetime) -> str:
    if message.attempts >= MAX_ATTEMPTS:
        return _failed(tenant, message, error,
                       now, reason=f"Gave up after {message.attempts} attempts: {error.reason}")
    due = now + retry_delay(message.attempts)
    with transaction.atomic():
        Message.objects.filter(tenant=tenant, pk=message.pk, status=S.SENDING).update(
            status=S.SCHEDULED, due_at=due, status_reason=f"Will retry: {error.reason}"[:500],
            updated_at=now)
        _event(tenant, message, "retry", now, reason=error.reason, code=error.code,
               provider=error.provider, attempt=message.attempts, due_at=due.isoformat())
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
        stuck = Message.objects.filter(tenant=tenant, status=S.SENDING,
                                       updated_at__lt=now - SENDING_STUCK_AFTER)
        if connection.features.has_select_for_update_skip_locked:
            stuck = stuck.select_for_update(skip_locked=True)
        stuck = list(stuck[:500])
        for message in stuck:
            message.tenant = tenant
            _finish(tenant, message, S.UNCERTAIN, UNCERTAIN_REASON, kind="uncertain", now=now)
    with transaction.atomic():
        lost = list(Message.objects.filter(tenant=tenant, status=S.QUEUED,
                                           updated_at__lt=now - QUEUED_STUCK_AFTER)
                    .values_list("pk", flat=True)[:1000])
        if lost:
            Message.objects.filter(tenant=tenant, pk__in=lost).update(updated_at=now)
            transaction.on_commit(lambda: _enqueue(tenant.pk, lost), robust=True)
    return {"uncertain": len(stuck), "requeued": len(lost)}
