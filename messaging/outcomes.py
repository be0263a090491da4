"""Recording what happened to messages, many at a time: the status change, a MessageEvent and
a line on the order's timeline per message, in three statements for a whole batch (the
dispatcher's claim, a send task's batch, the sweep).

The rows are written under the caller's transaction; events and timeline lines never say more
than the status does (no address on the timeline: it outlives a shopper's erasure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config import db
from orders.services.timeline import order_events_record_many
from tenants.models import Tenant

from .models import Message, MessageEvent


@dataclass
class Outcome:
    """One message's new status, the event kind to store and the words for the timeline."""

    message: Message
    status: str
    reason: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def messages_finish(tenant: Tenant, outcomes: list[Outcome], now: datetime) -> None:
    """Final outcomes decided before any provider call (suppressed, failed to render) or by
    the sweep (uncertain): status + reason, an event, a timeline line each."""
    if not outcomes:
        return
    for outcome in outcomes:
        message = outcome.message
        message.status, message.status_reason = outcome.status, outcome.reason[:500]
        message.updated_at = now
    messages_update(tenant, [o.message for o in outcomes],
                    ["status", "status_reason", "updated_at"])
    events_record(tenant, [(o.message, o.kind, {"reason": o.reason, **o.data}) for o in outcomes],
                  now)
    timeline_record(tenant, [(o.message, o.reason, o.kind, f"{o.kind}:{o.message.attempts}")
                             for o in outcomes])


def events_record(tenant: Tenant, entries: list[tuple[Message, str, dict]], now: datetime) -> None:
    """(message, kind, data) → MessageEvent rows from the dispatcher, one INSERT."""
    if entries:
        db.rows_insert(MessageEvent, tenant.pk, [
            MessageEvent(tenant=tenant, message=message, kind=kind, occurred_at=now,
                         source="dispatcher", data=data)
            for message, kind, data in entries])


def timeline_record(tenant: Tenant, entries: list[tuple[Message, str, str, str]]) -> None:
    """(message, words, kind, dedup suffix) → order timeline lines, one INSERT; the dedup key
    keeps one line per cause when a batch is recorded twice."""
    lines = [{"order_id": message.order_id, "kind": "message",
              "summary": f"{message.get_channel_display()} “{message.milestone}”: {words}",
              "actor": "dispatcher", "data": {"message_id": message.pk, "kind": kind},
              "dedup_key": f"message:{message.pk}:{dedup}"}
             for message, words, kind, dedup in entries if message.order_id]
    if lines:
        order_events_record_many(tenant, lines)


def messages_update(tenant: Tenant, messages: list[Message], fields: list[str]) -> None:
    """Write `fields` of many messages from their instances in one statement (config.db):
    Django's bulk_update builds a CASE per field and row, which took longer than rendering
    the messages."""
    db.rows_update(Message, tenant.pk, messages, fields)
