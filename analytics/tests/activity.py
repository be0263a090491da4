"""Raw activity for analytics tests, written as the apps below write it: a message sent (its
row and the dispatcher's event), provider callbacks through messaging's effects (stored once
by their id, statuses only forward), milestones, scans, ratings and page views.

    sent = send(tenant, at=utc(2026, 3, 9, 22, 30))           # an e-mail sent then
    callback(tenant, sent, "delivered", at=…, event_id="d1")  # SendGrid's "delivered"
    callback(tenant, sent, "open", at=…, machine=True)        # an Apple MPP open
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from messaging.models import Message
from messaging.outcomes import events_record
from messaging.tests.factories import make_customer, make_message, make_order, make_shipment
from messaging.webhooks import effects
from tenants.context import tenant_scope
from tracking.models import DeliveryFeedback, ShipmentMilestone, ShipmentPageViewDay, TrackingEvent

_ids = itertools.count(1)
STATUS_FOR = {"delivered": "delivered", "open": "opened", "click": "clicked",
              "bounce": "bounced", "failed": "failed"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def send(tenant, *, at: datetime, channel: str = "email", milestone: str = "shipped",
         locale: str = "en", **fields) -> Message:
    message = make_message(tenant, channel=channel, milestone=milestone, locale=locale, **fields)
    with tenant_scope(tenant):
        Message.objects.filter(pk=message.pk).update(status="sent", sent_at=at)
        events_record(tenant, [(message, "sent", {})], at)
        message.refresh_from_db()
    return message


def callback(tenant, message: Message, kind: str, *, at: datetime, event_id: str = "",
             machine: bool = False) -> bool:
    """A provider event about `message`, as the SendGrid/Twilio receivers apply it."""
    data = {"sg_machine_open": True} if machine else {}
    with tenant_scope(tenant):
        new = effects.message_event_record(
            tenant, message_id=message.pk, kind=kind, source="sendgrid", occurred_at=at,
            provider_event_id=event_id or f"ev-{next(_ids)}", data=data)
        status = STATUS_FOR.get(kind)
        if new and status and not machine:
            effects.message_status_advance(tenant, message.pk, status, at=at)
    return new


def shipment(tenant, *, carrier: str = "DHL", service: str = "", shipped_at: datetime,
             promised: date | None = None, customer=None, **fields):
    customer = customer or make_customer(tenant)
    order = make_order(tenant, customer=customer, placed_at=fields.pop("placed_at", shipped_at))
    return make_shipment(tenant, order, carrier=carrier, service=service, shipped_at=shipped_at,
                         promised_delivery=promised, **fields)


def milestone(tenant, shipment_, name: str, *, at: datetime) -> None:
    with tenant_scope(tenant):
        ShipmentMilestone.objects.create(shipment=shipment_, milestone=name, occurred_at=at)


def scan(tenant, shipment_, status: str, *, at: datetime, estimate: date | None = None,
         cause: str = "") -> None:
    with tenant_scope(tenant):
        TrackingEvent.objects.create(
            shipment=shipment_, source="test", carrier=shipment_.carrier,
            tracking_number=shipment_.tracking_number, occurred_at=at, status=status,
            estimated_delivery=estimate, exception_cause=cause, dedup_key=f"scan-{next(_ids)}")


def rate(tenant, shipment_, stars: int, *, at: datetime) -> DeliveryFeedback:
    with tenant_scope(tenant):
        feedback = DeliveryFeedback.objects.create(shipment=shipment_, rating=stars,
                                                   low=stars <= DeliveryFeedback.LOW_RATING)
        DeliveryFeedback.objects.filter(pk=feedback.pk).update(created_at=at, updated_at=at)
        return feedback


def views(tenant, shipment_, count: int, *, day: date, source: str = "email") -> None:
    with tenant_scope(tenant):
        ShipmentPageViewDay.objects.create(shipment=shipment_, day=day, source=source,
                                           views=count)
