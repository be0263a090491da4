"""What messaging tells the agent console about an order (orders/signals.py): every message
with its channel, template version, subject and a preview of the exact body sent, each
provider event (delivered, opened, clicked, bounced, failed…) and every text the shopper sent
back, on the order's timeline; "send again" on each message for members who may.

Two queries, whatever the number of messages: the messages (bodies but the HTML, which the
message's own page shows) with their template, and all their events.
"""

from __future__ import annotations

import secrets

from django.db.models import Prefetch

from orders.models import Order
from orders.signals import OrderSection, TimelineEntry, TimelineKind, order_sections, order_timeline
from tenants.models import Tenant
from tenants.permissions import Perm
from tenants.views.base import can

from .dashboard.messages import STATUS_TONE
from .journeys.triggers import TRIGGER_LABELS
from .models import Channel, Message, MessageEvent, Template
from .services import AGENT_MESSAGE

PREVIEW_CHARS = 1500
# Provider events in words, and their badge colour.
EVENT_WORDS: dict[str, tuple[str, str]] = {
    "processed": ("Accepted by the provider", ""),
    "sent": ("Sent", "primary"),
    "delivered": ("Delivered", "success"),
    "open": ("Opened", "success"),
    "click": ("Clicked a link", "success"),
    "bounce": ("Bounced", "danger"),
    "dropped": ("Dropped by the provider", "danger"),
    "deferred": ("Delayed by the receiving server", "warning"),
    "spamreport": ("Marked as spam", "danger"),
    "unsubscribe": ("Unsubscribed", "warning"),
    "failed": ("Failed", "danger"),
    "undelivered": ("Not delivered", "danger"),
    "suppressed": ("Not sent, on purpose", ""),
    "uncertain": ("Outcome uncertain", "warning"),
    "resend": ("Scheduled to send again", ""),
    "resend_confirmed": ("Sent again after confirming it was not received", ""),
    "sent_again": ("Sent again by an agent", ""),
    "inbound_sms": ("Text from the shopper", "warning"),
}


def _event_entry(message: Message, event: MessageEvent, what: str) -> TimelineEntry:
    words, tone = EVENT_WORDS.get(event.kind, (event.kind.replace("_", " ").capitalize(), ""))
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == "inbound_sms":
        return TimelineEntry(at=event.occurred_at, kind=TimelineKind.MESSAGE, title=words,
                             detail=f"From {data.get('from', message.recipient)}"
                                    + (f" · keyword {data['keyword']}" if data.get("keyword") else ""),
                             actor="shopper", raw=data.get("body", ""), tone=tone)
    detail = data.get("url") or data.get("reason") or data.get("error") or ""
    return TimelineEntry(at=event.occurred_at, kind=TimelineKind.MESSAGE,
                         title=f"{words}: {what}", detail=str(detail)[:300],
                         actor=data.get("actor") or f"provider:{event.source}", tone=tone)


def timeline_for_order(sender, *, tenant: Tenant, order: Order, request=None,
                       **kwargs) -> list[TimelineEntry]:
    messages = list(Message.objects.filter(order_id=order.pk)
                    .defer("html_body")
                    .select_related("template_version__template")
                    .prefetch_related(Prefetch("events", MessageEvent.objects.order_by(
                        "occurred_at", "pk")))
                    .order_by("created_at", "pk"))
    entries: list[TimelineEntry] = []
    for message in messages:
        milestone = ("One-off message" if message.milestone == AGENT_MESSAGE
                     else TRIGGER_LABELS.get(message.milestone, message.milestone))
        channel = message.get_channel_display()
        what = f"{channel} “{milestone}” to {message.recipient}"
        version = message.template_version
        entries.append(TimelineEntry(
            at=message.sent_at or message.created_at, kind=TimelineKind.MESSAGE,
            title=f"{what}: {message.get_status_display()}",
            detail=message.status_reason, tone=STATUS_TONE.get(message.status, ""),
            actor="journey" if message.rule_id else "agent or test",
            template="messaging/console/_message.html",
            context={"message": message, "version": version,
                     "template": version.template if version else None,
                     "is_email": message.channel == Channel.EMAIL,
                     "preview": message.text_body[:PREVIEW_CHARS],
                     "truncated": len(message.text_body) > PREVIEW_CHARS,
                     # A fresh key per form shown: a double click sends once.
                     "request_key": secrets.token_urlsafe(12)}))
        entries += [_event_entry(message, event, what) for event in message.events.all()]
    return entries


def sections_for_order(sender, *, tenant: Tenant, order: Order, request,
                       **kwargs) -> list[OrderSection]:
    """"Send a message" from one of the store's templates, for members who may (one query)."""
    if not can(request, Perm.MESSAGES_MANAGE) or order.customer is None:
        return []
    templates = list(Template.objects.filter(versions__isnull=False).distinct()
                     .order_by("channel", "name").only("pk", "name", "channel"))
    return [OrderSection("Send a message", "messaging/console/_send.html", {
        "templates": templates, "request_key": secrets.token_urlsafe(12),
        "email": order.customer.email, "phone": order.customer.phone}, position=40)]


def connect() -> None:
    order_timeline.connect(timeline_for_order, sender=Order, dispatch_uid="messaging.timeline")
    order_sections.connect(sections_for_order, sender=Order, dispatch_uid="messaging.sections")
