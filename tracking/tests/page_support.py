"""Parcels for the tracking page's tests: a shop's order with a shopper, products and one or
more shipments, their scans applied through the real ingest service (updates_apply)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

from orders.models import Customer, LineItem, Order, Product
from tenants.tests.factories import in_scope
from tracking.carriers.base import NormalizedEvent, NormalizedUpdate
from tracking.models import Shipment, ShipmentItem
from tracking.services import shipment_create, updates_apply
from tracking.statuses import ExceptionCause, TrackingStatus

_numbers = count(1)
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Parcel:
    tenant: object
    order: Order
    customer: Customer
    shipment: Shipment
    products: list[Product] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"/t/{self.shipment.public_token}/"


def make_order(tenant, *, first_name="Sam", locale="", email="sam.rivera@example.test",
               phone="+4915112345678", city="Berlin", street="Hauptstraße 5",
               promised: date | None = None, products=None) -> tuple[Order, Customer, list]:
    n = next(_numbers)
    with in_scope(tenant):
        customer = Customer.objects.create(
            external_id=f"c{n}", email=email, phone=phone, first_name=first_name,
            last_name="Rivera", locale=locale)
        order = Order.objects.create(
            external_id=f"o{n}", number=f"#{1000 + n}", customer=customer, placed_at=START,
            currency="EUR", total=Decimal("328.00"), promised_delivery_date=promised,
            shipping_address={"name": f"{first_name} Rivera", "address1": street,
                              "city": city, "postcode": "10115", "country_code": "DE",
                              "phone": phone})
        specs = products if products is not None else [
            {"title": "Trail 2 Tent", "category": "Tents", "image_url": "/static/demo/products/tents.png",
             "content_links": [{"kind": "video", "title": "Pitch it in five minutes",
                                "url": "https://example.com/how-to/pitch"}],
             "translations": {"de": {"title": "Trail 2 Zelt"}}},
            {"title": "Cloud Sleeping Mat", "category": "Sleeping",
             "image_url": "https://cdn.example.net/mat.png"},
        ]
        made = []
        for position, spec in enumerate(specs, 1):
            product = Product.objects.create(
                external_id=f"p{n}-{position}", price=Decimal("39.50"), currency="EUR",
                url=f"https://shop.example.com/p/{n}-{position}", **spec)
            LineItem.objects.create(order=order, position=position, product=product,
                                    title=spec["title"], quantity=position,
                                    unit_price=Decimal("39.50"))
            made.append(product)
    return order, customer, made


def make_parcel(tenant, *, statuses=("in_transit",), order=None, customer=None, products=None,
                carrier="DHL", cause: str | None = None, message: str = "",
                estimated: date | None = None, promised: date | None = None,
                **order_fields) -> Parcel:
    """A shipment of a (new) order whose scans reach `statuses`, in order, an hour apart."""
    if order is None:
        order, customer, products = make_order(tenant, promised=promised, products=products,
                                               **order_fields)
    number = f"JD{next(_numbers):012d}"
    with in_scope(tenant):
        shipment = shipment_create(tenant, carrier=carrier, tracking_number=number, order=order)
        scan(tenant, shipment, statuses, cause=cause, message=message, estimated=estimated)
        shipment.refresh_from_db()
    return Parcel(tenant, order, customer, shipment, list(products or []))


def scan(tenant, shipment: Shipment, statuses, *, cause: str | None = None, message: str = "",
         estimated: date | None = None, start: datetime | None = None,
         city: str = "Leipzig") -> None:
    """Carrier scans through the real ingest service, one per status, an hour apart."""
    start = start or START
    events = []
    for index, status in enumerate(statuses):
        status = TrackingStatus(status)
        events.append(NormalizedEvent(
            tracking_number=shipment.tracking_number, carrier=shipment.carrier, status=status,
            source_code=status.value, source_subcode=None,
            message=message or f"Carrier scan: {status.label}",
            occurred_at=start + timedelta(hours=index),
            location={"city": city, "country": "DE"},
            exception_cause=ExceptionCause(cause) if cause and status == "exception" else None,
            estimated_delivery=estimated,
            dedup_key=f"test:{shipment.tracking_number}:{start.isoformat()}:{index}:{status}",
            raw={}))
    with in_scope(tenant):
        updates_apply(tenant, [NormalizedUpdate(
            source="generic", tracking_number=shipment.tracking_number, carrier=shipment.carrier,
            service=None, estimated_delivery=estimated, events=events, provider_object_id=None)])


def put_items(tenant, shipment: Shipment, lines: list[tuple[int, int]]) -> None:
    with in_scope(tenant):
        ShipmentItem.objects.bulk_create([
            ShipmentItem(tenant=tenant, shipment=shipment, line_item_id=line_id, quantity=qty)
            for line_id, qty in lines])
