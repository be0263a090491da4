"""Create-or-update by the retailer's external id: one path for every order source (API,
Shopify, CSV), so a repeated or replayed push changes nothing and a real change is recorded
on the order's timeline.

Inputs are small dataclasses, already validated by the caller (serializer, Shopify mapping,
CSV row parser); model validation still runs for what only the model knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import Conflict, ValidationFailed
from tenants.models import Tenant

from ..models import ConsentSource, Customer, LineItem, Order, OrderEvent, OrderMilestoneName, Product
from .timeline import order_event_record, order_milestone_record


@dataclass
class CustomerInput:
    external_id: str
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    locale: str = ""
    timezone: str = ""
    # channel (Customer.CONSENT_CHANNELS) → given; channels left out keep their value.
    consents: dict[str, bool] = field(default_factory=dict)
    consent_source: str = ConsentSource.API


@dataclass
class ProductInput:
    external_id: str
    title: str
    price: Decimal
    currency: str
    sku: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    url: str = ""
    image_url: str = ""
    in_stock: bool = True
    content_links: list[dict] = field(default_factory=list)
    translations: dict[str, dict] = field(default_factory=dict)  # see Product.translations


@dataclass
class LineInput:
    title: str
    quantity: int
    unit_price: Decimal
    sku: str = ""
    product_external_id: str | None = None


@dataclass
class OrderInput:
    external_id: str
    number: str
    placed_at: datetime
    currency: str
    lines: list[LineInput]
    customer: CustomerInput | None = None
    subtotal: Decimal | None = None  # derived from the lines when not given
    shipping: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    total: Decimal | None = None  # subtotal + shipping + tax when not given
    shipping_address: dict = field(default_factory=dict)
    source: str = Order.Source.API
    financial_status: str = Order.FinancialStatus.PAID
    fulfillment_status: str = Order.FulfillmentStatus.UNFULFILLED
    promised_delivery_date: date | None = None
    # The source's own "last changed" time, when it sends one: older versions are skipped.
    source_updated_at: datetime | None = None


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _validation_failed(exc: DjangoValidationError, prefix: str = "") -> ValidationFailed:
    return ValidationFailed(details={f"{prefix}{k}": v for k, v in exc.message_dict.items()})


def _assign(obj, values: dict) -> list[str]:
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    for key in changed:
        setattr(obj, key, values[key])
    return changed


# --- customers -------------------------------------------------------------------------

def customer_upsert(tenant: Tenant, data: CustomerInput, *, actor: str = "") -> tuple[Customer, bool]:
    """Returns (customer, created). Consent that changes records when and how."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(external_id=data.external_id).first()
        created = customer is None
        if created:
            customer = Customer(tenant=tenant, external_id=data.external_id)
        values = {"email": data.email.strip().lower(), "phone": data.phone.strip(),
                  "first_name": data.first_name, "last_name": data.last_name,
                  "locale": data.locale, "timezone": data.timezone}
        # An empty value from a source that does not know it never erases what we have.
        values = {k: v for k, v in values.items() if v or created}
        changed = _assign(customer, values)
        now = timezone.now()
        for channel, given in data.consents.items():
            if channel not in Customer.CONSENT_CHANNELS:
                raise ValidationFailed(details={f"consents.{channel}": ["Unknown channel."]})
            if created or getattr(customer, f"{channel}_consent") != given:
                setattr(customer, f"{channel}_consent", bool(given))
                setattr(customer, f"{channel}_consent_at", now)
                setattr(customer, f"{channel}_consent_source", data.consent_source)
                changed.append(channel)
        if not created and not changed:
            return customer, False
        try:
            customer.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
        except DjangoValidationError as exc:
            raise _validation_failed(exc, "customer.") from None
        try:
            with transaction.atomic():
                customer.save()
        except IntegrityError:
            # Created concurrently by another request: take theirs and apply ours on top.
            return customer_upsert(tenant, data, actor=actor)[0], False
    return customer, created


# --- products --------------------------------------------------------------------------

PRODUCT_FIELDS = ["sku", "title", "category", "tags", "url", "image_url", "price", "currency",
                  "in_stock", "content_links", "translations"]


def product_upsert_many(tenant: Tenant, items: list[ProductInput]) -> UpsertResult:
    """Up to a thousand products in one statement: INSERT … ON CONFLICT DO UPDATE."""
    seen: dict[str, ProductInput] = {item.external_id: item for item in items}  # last one wins
    objs, errors = [], {}
    for index, item in enumerate(seen.values()):
        obj = Product(tenant=tenant, external_id=item.external_id,
                      **{name: getattr(item, name) for name in PRODUCT_FIELDS})
        try:
            obj.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
        except DjangoValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors[f"[{index}].{key}"] = messages
        objs.append(obj)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        existing = set(Product.objects.filter(external_id__in=seen).values_list("external_id", flat=True))
        Product.objects.bulk_create(objs, update_conflicts=True,
                                    unique_fields=["tenant", "external_id"],
                                    update_fields=[*PRODUCT_FIELDS, "updated_at"], batch_size=500)
    return UpsertResult(created=len(seen) - len(existing), updated=len(existing))


# --- orders ----------------------------------------------------------------------------

def _order_values(data: OrderInput, customer: Customer | None) -> dict:
    subtotal = data.subtotal if data.subtotal is not None else sum(
        (line.unit_price * line.quantity for line in data.lines), Decimal("0"))
    total = data.total if data.total is not None else subtotal + data.shipping + data.tax
    return {"number": data.number, "customer": customer, "placed_at": data.placed_at,
            "currency": data.currency, "subtotal": subtotal, "shipping": data.shipping,
            "tax": data.tax, "total": total, "shipping_address": data.shipping_address,
            "source": data.source, "financial_status": data.financial_status,
            "fulfillment_status": data.fulfillment_status,
            "promised_delivery_date": data.promised_delivery_date}


def _line_rows(tenant: Tenant, order: Order, lines: list[LineInput]) -> list[LineItem]:
    wanted = {line.product_external_id for line in lines if line.product_external_id}
    products = {p.external_id: p for p in Product.objects.filter(external_id__in=wanted)}
    rows = []
    for position, line in enumerate(lines, start=1):
        product = products.get(line.product_external_id or "")
        rows.append(LineItem(tenant=tenant, order=order, position=position, product=product,
                             sku=line.sku or (product.sku if product else ""), title=line.title,
                             quantity=line.quantity, unit_price=line.unit_price))
    return rows


def _lines_signature(rows) -> list[tuple]:
    return [(r.sku, r.title, r.quantity, Decimal(r.unit_price), r.product_id) for r in rows]


def _lines_replace(order: Order, current: list[LineItem], rows: list[LineItem]) -> None:
    """Update lines in place by position, so what points at them (shipment items) survives an
    edit; only positions the order no longer has are deleted."""
    by_position = {line.position: line for line in current}
    fields = ["product", "sku", "title", "quantity", "unit_price"]
    updated = []
    for row in rows:
        line = by_position.pop(row.position, None)
        if line is None:
            continue
        for name in fields:
            setattr(line, name, getattr(row, name))
        updated.append(line)
    LineItem.objects.bulk_update(updated, fields)
    LineItem.objects.bulk_create([r for r in rows if r.position not in {u.position for u in updated}])
    if by_position:
        order.lines.filter(position__in=list(by_position)).delete()


def _is_older(data: OrderInput, order: Order) -> bool:
    return (data.source_updated_at is not None and order.source_updated_at is not None
            and data.source_updated_at < order.source_updated_at)


def order_upsert(tenant: Tenant, data: OrderInput, *, actor: str = "") -> tuple[Order, bool]:
    """Create or update an order with its customer and lines; returns (order, created).
    A new order records `order_confirmed`; a change records what changed on the timeline."""
    if not data.lines:
        raise ValidationFailed(details={"lines": ["An order needs at least one line."]})
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(external_id=data.external_id).first()
        if order is not None and _is_older(data, order):
            # Deliveries are not ordered: this version is older than the one applied.
            return order, False
        customer = customer_upsert(tenant, data.customer, actor=actor)[0] if data.customer else None
        created = order is None
        if created:
            order = Order(tenant=tenant, external_id=data.external_id)
        changed = _assign(order, _order_values(data, customer))
        if data.source_updated_at is not None:
            order.source_updated_at = data.source_updated_at  # bookkeeping, not a change
        try:
            order.full_clean(exclude=["tenant", "customer"], validate_unique=False,
                             validate_constraints=False)
        except DjangoValidationError as exc:
            raise _validation_failed(exc) from None
        if not created and Order.objects.filter(number=data.number).exclude(pk=order.pk).exists():
            raise Conflict(f"Order number {data.number} belongs to another order.",
                           details={"number": ["Already used by another order."]})
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError:
            raise Conflict(f"Order number {data.number} belongs to another order.",
                           details={"number": ["Already used by another order."]}) from None

        rows = _line_rows(tenant, order, data.lines)
        if created:
            LineItem.objects.bulk_create(rows)
            order_event_record(tenant, order.pk, OrderEvent.Kind.CREATED,
                               f"Order {order.number} received ({len(rows)} line(s), "
                               f"{order.total} {order.currency})", actor=actor,
                               occurred_at=order.placed_at)
            order_milestone_record(tenant, order.pk, OrderMilestoneName.ORDER_CONFIRMED,
                                   order.placed_at)
            return order, True

        current = list(order.lines.order_by("position"))
        if _lines_signature(current) != _lines_signature(rows):
            _lines_replace(order, current, rows)
            changed.append("lines")
        if changed:
            kind = (OrderEvent.Kind.CANCELLED if "fulfillment_status" in changed
                    and order.fulfillment_status == Order.FulfillmentStatus.CANCELLED
                    else OrderEvent.Kind.UPDATED)
            order_event_record(tenant, order.pk, kind,
                               f"Order {order.number} updated: {', '.join(sorted(changed))}",
                               actor=actor, data={"changed": sorted(changed)})
    return order, False
