"""Helpers for the provider callback and public link tests: shoppers, orders and messages
made directly (status sent, provider ids), so these tests do not depend on the dispatcher."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.utils import timezone

from messaging.models import Message
from orders.models import Customer, Order
from tenants.rls import cross_tenant
from tenants.tests.factories import in_scope

_numbers = itertools.count(1)


def make_customer(tenant, **fields) -> Customer:
    n = next(_numbers)
    values = {"external_id": f"cb-{n}", "email": f"ann{n}@shopper.test",
              "phone": f"+4917012{n:06d}", "first_name": "Ann",
              "transactional_sms_consent": True, "marketing_email_consent": True,
              "marketing_sms_consent": True} | fields
    with in_scope(tenant):
        return Customer.objects.create(tenant=tenant, **values)


def make_order(tenant, customer: Customer | None, **fields) -> Order:
    n = next(_numbers)
    values = {"external_id": f"cbo-{n}", "number": f"#{7000 + n}", "customer": customer,
              "placed_at": timezone.now(), "currency": "EUR", "total": Decimal("42.00")} | fields
    with in_scope(tenant):
        return Order.objects.create(tenant=tenant, **values)


def make_message(tenant, channel: str = "email", *, customer: Customer | None = None,
                 status: str = Message.Status.SENT, milestone: str = "shipped",
                 **fields) -> Message:
    """A message the provider accepted: sent, with a provider id."""
    n = next(_numbers)
    if customer is None and "recipient" not in fields:
        customer = make_customer(tenant)
    recipient = fields.pop("recipient", None) or (
        customer.email if channel == "email" else customer.phone)
    provider = "sendgrid" if channel == "email" else "twilio"
    values = {"provider": provider,
              "provider_message_id": f"sg{n:08d}" if channel == "email" else f"SM{n:032x}",
              "sent_at": timezone.now(), "due_at": timezone.now()} | fields
    with in_scope(tenant):
        return Message.objects.create(
            tenant=tenant, channel=channel, milestone=milestone, customer=customer,
            recipient=recipient, dedup_key=f"cb:{n}:{milestone}", status=status, **values)


def reload(obj):
    with cross_tenant("a test reads across stores"):
        return type(obj).objects.unscoped(reason="test reads the row back").get(pk=obj.pk)


def rows(model, tenant, **filters) -> list:
    with in_scope(tenant):
        return list(model.objects.filter(**filters))
