"""Messages kept by the dev outbox for the outbox tests: real milestones of the store's
default journey, planned, rendered and "sent" through the outbox transport."""

from __future__ import annotations

from contextlib import nullcontext

from django.utils import timezone

from messaging import dispatch
from messaging.journeys import messages_plan
from messaging.models import Message
from tenants.tests.factories import in_scope

from .factories import make_customer, make_order, make_shipment


def zone_at_noon() -> str:
    """A time zone where it is about noon now, outside any SMS quiet hours."""
    offset = (12 - timezone.now().hour + 12) % 24 - 12  # hours ahead of UTC, -12 … 11
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # Etc/GMT-2 is UTC+2


def kept_message(tenant, milestone: str, channel: str, *, capture=None, **customer) -> Message:
    """`capture`: pytest-django's `django_capture_on_commit_callbacks`, in a test inside a
    transaction (the sends run after commit); None in a transactional test."""
    shopper = make_customer(tenant, transactional_sms_consent=True,
                            **{"timezone": zone_at_noon(), **customer})
    shipment = make_shipment(tenant, make_order(tenant, customer=shopper))
    with capture(execute=True) if capture else nullcontext(), in_scope(tenant):
        planned = messages_plan(tenant, milestone=milestone, shipment=shipment,
                                occurred_at=timezone.now())
        dispatch.messages_dispatch_due(tenant, now=timezone.now())
    [message] = [m for m in planned if (m.channel, m.milestone) == (channel, milestone)]
    with in_scope(tenant):
        return Message.objects.get(pk=message.pk)
