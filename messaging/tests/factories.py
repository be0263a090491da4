"""Shoppers, orders, shipments and messages for messaging tests, kept in one tenant.

    customer = make_customer(tenant, first_name="Sam", locale="de")
    order = make_order(tenant, customer=customer)        # two lines with products (tent, mat)
    shipment = make_shipment(tenant, order)              # carries every line of the order
    message = make_message(tenant, shipment=shipment, milestone="shipped")

Plain functions, each entering the tenant's scope itself, so a test can call them anywhere.
Keyword arguments not listed go to the model (`make_order(tenant, total=Decimal("12.00"))`).
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from messaging.models import Message
from orders.models import Customer, LineItem, Order, Product
from tenants.tests.factories import in_scope
from tracking.models import Shipment, ShipmentItem

_numbers = itertools.count(1001)
PLACED_AT = datetime(2026, 3, 9, 10, 30, tzinfo=UTC)


def make_customer(tenant, **fields) -> Customer:
    n = next(_numbers)
    values = {"external_id": f"c-{n}", "email": f"shopper{n}@example.com", "first_name": "Sam",
              "last_name": "Rivera", "phone": "+4915112345678", **fields}
    with in_scope(tenant):
        return Customer.objects.create(**values)


def make_product(tenant, title: str = "Trail 2 Tent", **fields) -> Product:
    n = next(_numbers)
    values = {"external_id": f"p-{n}", "sku": f"SKU-{n}", "title": title,
              "price": Decimal("249.00"), "currency": "EUR", "category": "Tents",
              "url": f"https://shop.example.com/products/{n}",
              "image_url": f"https://cdn.example.com/{n}.jpg", **fields}
    with in_scope(tenant):
        return Product.objects.create(**values)


def make_order(tenant, *, customer: Customer | None = None, lines: int = 2, **fields) -> Order:
    """An order with `lines` lines; the first is a tent with a how-to video, the rest mats."""
    customer = customer if customer is not None else make_customer(tenant)
    n = next(_numbers)
    values = {"external_id": f"o-{n}", "number": f"#{n}", "customer": customer,
              "placed_at": PLACED_AT, "currency": "EUR", "subtotal": Decimal("328.00"),
              "shipping": Decimal("4.90"), "total": Decimal("332.90"),
              "promised_delivery_date": date(2026, 3, 12),
              "shipping_address": {"name": "Sam Rivera", "city": "Berlin", "country_code": "DE"},
              **fields}
    tent = make_product(tenant, content_links=[{"kind": "video", "title": "Pitch it in five minutes",
                                                "url": "https://shop.example.com/how-to/tent"}])
    mat = make_product(tenant, "Cloud Sleeping Mat", price=Decimal("39.50"), category="Sleeping")
    with in_scope(tenant):
        order = Order.objects.create(**values)
        for position in range(1, lines + 1):
            product = tent if position == 1 else mat
            LineItem.objects.create(order=order, position=position, product=product,
                                    sku=product.sku, title=product.title, quantity=1,
                                    unit_price=product.price)
    return order


def make_shipment(tenant, order: Order | None, *, with_items: bool = True, **fields) -> Shipment:
    """A DHL shipment of `order` carrying all its lines (none with `with_items=False`)."""
    n = next(_numbers)
    values = {"carrier": "DHL", "tracking_number": f"00340434{n:012d}", "status": "in_transit",
              "carrier_estimated_delivery": date(2026, 3, 13),
              "shipped_at": PLACED_AT + timedelta(days=1), **fields}
    with in_scope(tenant):
        shipment = Shipment.objects.create(order=order, **values)
        if order is not None and with_items:
            for line in order.lines.all():
                ShipmentItem.objects.create(shipment=shipment, line_item=line, quantity=line.quantity)
    return shipment


def make_message(tenant, *, milestone: str = "shipped", channel: str = "email",
                 order: Order | None = None, shipment: Shipment | None = None, **fields) -> Message:
    """A scheduled Message row (no rule) for `shipment` or `order`."""
    order = order if order is not None else (shipment.order if shipment is not None else None)
    customer = order.customer if order is not None else None
    recipient = (customer.email if channel == "email" else customer.phone) if customer else "x@example.com"
    values = {"channel": channel, "milestone": milestone, "order": order, "shipment": shipment,
              "customer": customer, "recipient": recipient, "due_at": timezone.now(),
              "dedup_key": f"test:{next(_numbers)}:{milestone}:{channel}", **fields}
    with in_scope(tenant):
        return Message.objects.create(**values)
