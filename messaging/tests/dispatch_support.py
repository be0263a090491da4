"""Helpers for the provider and dispatch tests: messages already rendered (so these tests are
about sending, not templates). The dispatcher's frozen clock and the rate-limit switch are
fixtures in tests/fakes/fixtures.py (`dispatch_clock`, `no_rate_limits`)."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from messaging.models import Message
from orders.models import Customer, Order
from tenants.rls import cross_tenant
from tenants.tests.factories import in_scope

_numbers = itertools.count(1)


def make_customer(tenant, **fields) -> Customer:
    n = next(_numbers)
    values = {"external_id": f"d-{n}", "email": f"sam{n}@shopper.test",
              "phone": f"+4915112{n:06d}", "first_name": "Sam",
              "transactional_sms_consent": True} | fields
    with in_scope(tenant):
        return Customer.objects.create(tenant=tenant, **values)


def make_order(tenant, customer: Customer) -> Order:
    n = next(_numbers)
    with in_scope(tenant):
        return Order.objects.create(tenant=tenant, external_id=f"do-{n}", number=f"#{5000 + n}",
                                    customer=customer, placed_at=timezone.now(), currency="EUR",
                                    total=Decimal("80.00"))


def make_message(tenant, channel: str = "email", *, due_at: datetime, customer=None,
                 milestone: str = "order_confirmed", status: str = Message.Status.SCHEDULED,
                 includes_marketing: bool = False, **fields) -> Message:
    """A rendered order-confirmation message for a consenting shopper, due at `due_at`."""
    customer = customer or make_customer(tenant)
    order = fields.pop("order", None) or make_order(tenant, customer)
    recipient = customer.email if channel == "email" else customer.phone
    values = {
        "subject": "Your order is confirmed", "html_body": "<p>Hi Sam, thanks!</p>",
        "text_body": "Hi Sam, thanks!", "locale": "en",
    } if channel == "email" else {"text_body": "Alpha Outfitters: your order is confirmed."}
    values |= fields
    with in_scope(tenant):
        return Message.objects.create(
            tenant=tenant, channel=channel, milestone=milestone, order=order, customer=customer,
            recipient=recipient, dedup_key=f"test:{next(_numbers)}:{milestone}", status=status,
            due_at=due_at, includes_marketing=includes_marketing, **values)


def reload(message: Message) -> Message:
    with cross_tenant("a test reads across stores"):
        return Message.objects.unscoped(reason="test reads the row back").get(pk=message.pk)
