"""Erasing a shopper's personal data (Shopify `customers/redact`, a deletion request): the
person goes, the anonymous facts (orders, amounts, dates, countries) stay for the retailer's
figures."""

from __future__ import annotations

from django.db import transaction

from tenants.models import Tenant

from ..models import Customer, Order, OrderEvent
from ..signals import customer_redacted
from .timeline import order_event_record

# What of a shipping address stays: enough for delivery statistics by region.
KEPT_ADDRESS_FIELDS = ("country_code", "province")


@transaction.atomic
def customer_redact(tenant: Tenant, customer_id: int, *, actor: str = "") -> int:
    """Returns how many orders were anonymised."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        return 0
    orders = list(Order.objects.select_for_update().filter(customer=customer))
    for order in orders:
        order.shipping_address = {k: v for k, v in order.shipping_address.items()
                                  if k in KEPT_ADDRESS_FIELDS}
        order.customer = None
        order.save(update_fields=["shipping_address", "customer", "updated_at"])
        order_event_record(tenant, order.pk, OrderEvent.Kind.REDACTED,
                           "The shopper's personal data was erased on request.", actor=actor)
    customer_redacted.send(sender=Customer, tenant=tenant, customer_id=customer.pk,
                           order_ids=[o.pk for o in orders], email=customer.email,
                           phone=customer.phone)
    customer.delete()
    return len(orders)
