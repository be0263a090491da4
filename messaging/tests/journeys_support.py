"""Helpers for the journey tests: a store's rules, shoppers, orders and parcels in a few words.
Every helper enters the tenant's scope itself, so tests stay about behaviour."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

from messaging.models import Journey, JourneyRule, Message, Template
from orders.models import Customer, LineItem, Order, Product
from tenants.tests.factories import in_scope
from tracking.models import Shipment

T0 = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)  # a Tuesday, noon UTC: outside any quiet hours
_numbers = itertools.count(1)


def without_default_journey(*tenants) -> None:
    """Sign-up installs the default journey; tests that build their own rules start bare."""
    for tenant in tenants:
        with in_scope(tenant):
            Journey.objects.filter(is_default=True).delete()


def make_rule(tenant, trigger: str, channel: str = "email", **fields) -> JourneyRule:
    with in_scope(tenant):
        journey = fields.pop("journey", None) or Journey.objects.get_or_create(
            name="Test journey", defaults={"tenant": tenant})[0]
        template, _ = Template.objects.get_or_create(
            key=f"{trigger.replace('_', '-')}-{channel}",
            defaults={"tenant": tenant, "name": f"{trigger} {channel}", "channel": channel})
        position = JourneyRule.objects.filter(journey=journey).count()
        fields.setdefault("name", f"{trigger} by {channel}")
        return JourneyRule.objects.create(tenant=tenant, journey=journey, trigger=trigger,
                                          channel=channel, template=template, position=position,
                                          **fields)


def make_customer(tenant, **fields) -> Customer:
    n = next(_numbers)
    values = {"external_id": f"c-{n}", "email": f"Sam{n}@Shopper.test", "phone": "+4915112345678",
              "first_name": "Sam", "transactional_sms_consent": True} | fields
    with in_scope(tenant):
        return Customer.objects.create(tenant=tenant, **values)


def make_order(tenant, customer: Customer | None = None, *, total: str = "80.00",
               country: str = "DE", placed_at: datetime = T0, products: tuple = ()) -> Order:
    n = next(_numbers)
    with in_scope(tenant):
        order = Order.objects.create(
            tenant=tenant, external_id=f"o-{n}", number=f"#{1000 + n}", customer=customer,
            placed_at=placed_at, currency="EUR", total=Decimal(total),
            shipping_address={"city": "Berlin", "country_code": country})
        for position, product in enumerate(products, start=1):
            LineItem.objects.create(tenant=tenant, order=order, position=position,
                                    product=product, title=product.title,
                                    unit_price=product.price)
    return order


def make_product(tenant, title: str, *, category: str = "", tags: list | None = None) -> Product:
    with in_scope(tenant):
        return Product.objects.create(tenant=tenant, external_id=f"p-{next(_numbers)}",
                                      title=title, category=category, tags=tags or [],
                                      price=Decimal("40.00"), currency="EUR")


def make_shipment(tenant, order: Order | None, *, carrier: str = "DHL",
                  status: str = "in_transit", **fields) -> Shipment:
    with in_scope(tenant):
        return Shipment.objects.create(tenant=tenant, order=order, carrier=carrier,
                                       tracking_number=f"JJD{next(_numbers):012d}",
                                       status=status, **fields)


def messages_of(tenant) -> list[Message]:
    with in_scope(tenant):
        return list(Message.objects.order_by("pk"))
