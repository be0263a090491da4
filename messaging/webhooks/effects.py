"""What a callback, an open, a click or an opt-out does to our data. Every writer of message
outcomes goes through here (the SendGrid and Twilio callbacks, the pixel, the redirect and the
preferences page), so the rules below hold whoever reports.

Statuses only move forward:

    scheduled < queued < sending = uncertain < sent < delivered < opened < clicked

- A report moves a message up this ladder, never down: a late "delivered" after "clicked", or a
  Twilio "sent" after "delivered", is stored as an event and changes nothing. A report about an
  `uncertain` message (a crash after the provider's acceptance) proves it was accepted, so it
  moves it on like a `sending` one.
- `bounced` and `failed` can only replace a status below `delivered`: once the shopper is known
  to have the message, a contradicting late failure is stored but does not hide that.
- `bounced`, `failed` and `suppressed` are terminal: nothing moves a message out of them (a
  resend is `services.message_resend`, an explicit act).
- The `*_at` timestamps record the first report of each kind whatever the status, e.g. an open
  reported after the click still sets `opened_at`.

Each move is one `UPDATE … WHERE status IN (lower statuses)`, so two callbacks racing can never
move a message backwards. Events are stored once by their unique key (the database decides).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders.models import ConsentSource, Customer
from tenants.models import Tenant

from ..models import Channel, Message, MessageEvent, Suppression

logger = logging.getLogger(__name__)

S = Message.Status
PROGRESS_RANK: dict[str, int] = {
    S.SCHEDULED: 0, S.QUEUED: 1, S.SENDING: 2, S.UNCERTAIN: 2, S.SENT: 3, S.DELIVERED: 4,
    S.OPENED: 5, S.CLICKED: 6,
}
TERMINAL = frozenset({S.BOUNCED, S.FAILED, S.SUPPRESSED})
# Statuses a bounce or failure may still replace: nothing has confirmed the shopper has it.
FAILABLE = tuple(s for s, rank in PROGRESS_RANK.items() if rank < PROGRESS_RANK[S.DELIVERED])
FIRST_SEEN_FIELD = {S.SENT: "sent_at", S.DELIVERED: "delivered_at", S.OPENED: "opened_at",
                    S.CLICKED: "clicked_at"}


def lower_statuses(status: str) -> tuple[str, ...]:
    """The statuses a message may be in for `status` to replace it."""
    if status in (S.BOUNCED, S.FAILED):
        return FAILABLE
    rank = PROGRESS_RANK[status]
    return tuple(s for s, r in PROGRESS_RANK.items() if r < rank)


def message_status_advance(tenant: Tenant, message_id: int, status: str, *, at: datetime,
                           reason: str = "") -> bool:
    """Move a message to `status` if that is forward (see the module docstring); record the
    first time of the kind either way. Returns whether the status changed."""
    now = timezone.now()
    field = FIRST_SEEN_FIELD.get(status)
    if field:
        Message.objects.filter(pk=message_id).update(
            **{field: Coalesce(F(field), Value(at))})
    changes = {"status": status, "updated_at": now}
    if reason or status in TERMINAL:
        changes["status_reason"] = reason[:500]
    moved = Message.objects.filter(pk=message_id,
                                   status__in=lower_statuses(status)).update(**changes)
    return bool(moved)


def message_event_record(tenant: Tenant, *, message_id: int | None, kind: str, source: str,
                         occurred_at: datetime, provider_event_id: str = "",
                         data: dict | None = None) -> bool:
    """Store an event once per (source, provider_event_id); returns whether it is new. The
    unique constraint decides (a savepoint absorbs the duplicate), never a prior lookup."""
    try:
        with transaction.atomic():
            MessageEvent.objects.create(
                tenant=tenant, message_id=message_id, kind=kind[:32], source=source,
                occurred_at=occurred_at, provider_event_id=provider_event_id[:200],
                data=data or {})
    except IntegrityError:
        return False
    return True


def normalise_address(channel: str, address: str) -> str:
    address = (address or "").strip()
    return address.lower() if channel == Channel.EMAIL else address


def suppression_add(tenant: Tenant, *, channel: str, address: str, reason: str,
                    source: str) -> bool:
    """Put an address on the tenant's suppression list (the dispatcher checks it before every
    send). An address already there keeps its first reason."""
    address = normalise_address(channel, address)
    if not address:
        return False
    created = Suppression.objects.bulk_create(
        [Suppression(tenant=tenant, channel=channel, address=address, reason=reason,
                     source=source[:32])], ignore_conflicts=True)
    logger.info("address suppressed", extra={"channel": channel, "reason": reason,
                                             "source": source})
    return bool(created)


def suppression_remove(tenant: Tenant, *, channel: str, address: str,
                       reasons: Iterable[str]) -> int:
    """Lift a suppression, but only one of the given reasons (a START lifts a STOP, never a
    hard bounce or an invalid number)."""
    deleted, _ = Suppression.objects.filter(
        channel=channel, address=normalise_address(channel, address),
        reason__in=list(reasons)).delete()
    return deleted


def customers_for_address(tenant: Tenant, channel: str, address: str, *,
                          customer_id: int | None = None):
    """Every shopper of the tenant with this e-mail address or phone number (a shopper may
    exist once per store account), plus the message's own customer when known."""
    address = normalise_address(channel, address)
    match = Q(email__iexact=address) if channel == Channel.EMAIL else Q(phone=address)
    if not address:
        match = Q(pk__in=[])
    if customer_id:
        match |= Q(pk=customer_id)
    return Customer.objects.filter(match)


def consent_set(tenant: Tenant, customers, purposes: Iterable[str], given: bool, *,
                source: str, at: datetime | None = None) -> int:
    """Set consent for each purpose ("marketing_email", "transactional_sms", …) with when and
    how, on the customers whose consent differs: a second STOP does not rewrite the time of
    the first."""
    at = at or timezone.now()
    changed = 0
    for purpose in purposes:
        if purpose not in Customer.CONSENT_CHANNELS:
            raise ValueError(f"unknown consent purpose {purpose!r}")
        changed += customers.filter(**{f"{purpose}_consent": not given}).update(**{
            f"{purpose}_consent": given, f"{purpose}_consent_at": at,
            f"{purpose}_consent_source": source, "updated_at": timezone.now()})
    return changed


def marketing_email_withdraw(tenant: Tenant, *, address: str, customer_id: int | None,
                             source: str = ConsentSource.PREFERENCE_PAGE) -> int:
    """The shopper no longer wants promotional e-mail (transactional updates still go)."""
    customers = customers_for_address(tenant, Channel.EMAIL, address, customer_id=customer_id)
    return consent_set(tenant, customers, ["marketing_email"], False, source=source)
