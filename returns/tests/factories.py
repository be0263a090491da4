"""Orders with delivered parcels, and policies, for returns tests, kept in one tenant.

    order = make_order(tenant, delivered_at=now - timedelta(days=3))   # a jacket and socks
    policy = make_policy(tenant, window_days=30)
    request = make_request(tenant, order)                              # the jacket, too small

Plain functions, each entering the tenant's scope itself, so a test can call them anywhere.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orders.models import Customer, LineItem, Order, Product
from tenants.context import tenant_scope
from tracking.models import Shipment, ShipmentItem

from .. import services
from ..models import PHOTO_REASONS, Resolution, ReturnMethod, ReturnReason
from ..photos import CleanPhoto

_numbers = itertools.count(5001)
PHOTO = CleanPhoto(b"\xff\xd8\xff\xd9", 1, 1)  # stands for a checked photo
PLACED_AT = datetime(2026, 11, 2, 10, 30, tzinfo=UTC)


def make_product(tenant, title: str, price: str, **fields) -> Product:
    n = next(_numbers)
    with tenant_scope(tenant):
        return Product.objects.create(**{
            "external_id": f"p-{n}", "sku": f"SKU-{n}", "title": title, "price": Decimal(price),
            "currency": "EUR", "category": "Jackets", **fields})


def make_order(tenant, *, delivered_at: datetime | None = PLACED_AT + timedelta(days=3),
               customer: Customer | None = None, quantities: tuple[int, ...] = (1, 2),
               products: list[Product] | None = None, **fields) -> Order:
    """An order of a jacket (129.00) and socks (12.50 each), in one parcel delivered at
    `delivered_at` (None: shipped, not delivered)."""
    n = next(_numbers)
    with tenant_scope(tenant):
        customer = customer or Customer.objects.create(
            external_id=f"c-{n}", email=f"shopper{n}@example.com", first_name="Sam",
            timezone="Europe/Berlin")
    products = products or [make_product(tenant, "Ridge Jacket", "129.00"),
                            make_product(tenant, "Trail Socks", "12.50", category="Socks")]
    with tenant_scope(tenant):
        order = Order.objects.create(**{
            "external_id": f"o-{n}", "number": f"#{n}", "customer": customer,
            "placed_at": PLACED_AT, "currency": "EUR", "total": Decimal("154.00"),
            "fulfillment_status": Order.FulfillmentStatus.FULFILLED,
            "shipping_address": {"postcode": "10115", "country_code": "DE"}, **fields})
        for position, (product, quantity) in enumerate(zip(products, quantities, strict=False), 1):
            LineItem.objects.create(order=order, position=position, product=product,
                                    sku=product.sku, title=product.title, quantity=quantity,
                                    unit_price=product.price)
        shipment = Shipment.objects.create(
            order=order, carrier="DHL", tracking_number=f"RT{n:010d}",
            status="delivered" if delivered_at else "in_transit",
            shipped_at=PLACED_AT + timedelta(days=1), delivered_at=delivered_at)
        for line in order.lines.all():
            ShipmentItem.objects.create(shipment=shipment, line_item=line, quantity=line.quantity)
    return order


def make_policy(tenant, *, rules: list[services.RuleInput] | None = None, **fields):
    with tenant_scope(tenant):
        return services.return_policy_update(tenant, actor="test", rules=rules or [], **fields)


def make_request(tenant, order: Order, *, reason: str = ReturnReason.TOO_SMALL,
                 resolution: str = Resolution.REFUND, method: str = ReturnMethod.SELF_SHIP,
                 quantity: int = 1, now: datetime | None = None, **kwargs):
    """A request for the order's first line (a policy must exist)."""
    with tenant_scope(tenant):
        line = order.lines.order_by("position")[0]
        photos = (PHOTO,) if reason in PHOTO_REASONS else ()
        return services.return_request_create(
            tenant, order.pk, [services.LineRequest(line.pk, quantity, reason, photos=photos)],
            resolution=resolution, method=method, now=now or PLACED_AT + timedelta(days=5),
            **kwargs)
