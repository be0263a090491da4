"""Shopify's order, customer and product JSON mapped to the orders app's upsert inputs (its
public `OrderInput`, `CustomerInput`, `ProductInput`). Pure: no database, no HTTP. It sits with
the rest of the Shopify integration, as each carrier's mapping sits with its adapter: the
outside format is the integration's; what it maps to is orders'.

    order payload ──▶ order_input()      OrderInput (customer, lines, money, statuses, address)
                  └─▶ product_inputs()   ProductInput for each line naming a product we may lack

Field names follow shared/reference/wire-formats.md §4 (REST resource shapes). Money stays a
Decimal parsed from Shopify's strings (never a float). Anything we cannot map raises
`ShopifyPayloadError`, which names the field, so the stored body is answered 400 and kept.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from config.errors import ValidationFailed
from orders.models import ConsentSource, Order
from orders.services import CustomerInput, LineInput, OrderInput, ProductInput

ACTOR = "shopify"


class ShopifyPayloadError(ValidationFailed):
    code = "invalid_payload"


# Shopify `financial_status` → ours. "expired" (an authorisation that lapsed) charged nothing.
FINANCIAL_STATUS = {
    "pending": Order.FinancialStatus.PENDING,
    "authorized": Order.FinancialStatus.AUTHORIZED,
    "partially_paid": Order.FinancialStatus.PARTIALLY_PAID,
    "paid": Order.FinancialStatus.PAID,
    "partially_refunded": Order.FinancialStatus.PARTIALLY_REFUNDED,
    "refunded": Order.FinancialStatus.REFUNDED,
    "voided": Order.FinancialStatus.VOIDED,
    "expired": Order.FinancialStatus.VOIDED,
}

# Shopify order `fulfillment_status` (null while nothing shipped) → ours. "restocked" means
# the items came back into stock: returned. A set `cancelled_at` overrides all of these.
FULFILLMENT_STATUS = {
    None: Order.FulfillmentStatus.UNFULFILLED,
    "unfulfilled": Order.FulfillmentStatus.UNFULFILLED,
    "partial": Order.FulfillmentStatus.PARTIALLY_FULFILLED,
    "fulfilled": Order.FulfillmentStatus.FULFILLED,
    "restocked": Order.FulfillmentStatus.RETURNED,
}

# Consent objects (`email_marketing_consent`, `sms_marketing_consent`): only "subscribed" is a
# yes; "pending" is a double opt-in not yet confirmed.
SUBSCRIBED = "subscribed"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _object(value: object, field: str) -> dict:
    if not isinstance(value, dict):
        raise ShopifyPayloadError(f"{field} must be a JSON object.", details={field: ["Expected an object."]})
    return value


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _id(value: object, field: str) -> str:
    text = _text(value)
    if not text or isinstance(value, bool | dict | list):
        raise ShopifyPayloadError(f"{field} is missing.", details={field: ["Required."]})
    return text


def money(value: object, field: str, *, default: Decimal | None = None) -> Decimal:
    """Shopify sends amounts as strings ("199.00"); numbers are accepted, floats never made."""
    if value is None or value == "":
        if default is not None:
            return default
        raise ShopifyPayloadError(f"{field} is missing.", details={field: ["Required."]})
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ShopifyPayloadError(f"{field} is not an amount.", details={field: [str(value)[:50]]}) from None
    if not amount.is_finite():
        raise ShopifyPayloadError(f"{field} is not an amount.", details={field: [str(value)[:50]]})
    return amount


def _optional_money(value: object, field: str) -> Decimal | None:
    return None if value in (None, "") else money(value, field)


def timestamp(value: object, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ShopifyPayloadError(f"{field} is not a date and time.",
                                  details={field: [str(value)[:50]]}) from None
    if parsed.tzinfo is None:
        raise ShopifyPayloadError(f"{field} has no time zone.", details={field: [str(value)[:50]]})
    return parsed


def shipping_address(address: object) -> dict:
    """Shopify's address → our keys (orders.models.Order.shipping_address)."""
    if not isinstance(address, dict):
        return {}
    name = _text(address.get("name")) or " ".join(
        part for part in (_text(address.get("first_name")), _text(address.get("last_name"))) if part)
    mapped = {
        "name": name, "company": _text(address.get("company")),
        "address1": _text(address.get("address1")), "address2": _text(address.get("address2")),
        "city": _text(address.get("city")), "postcode": _text(address.get("zip")),
        # The code ("ON") is what statistics group by; the name when no code was sent.
        "province": _text(address.get("province_code")) or _text(address.get("province")),
        "country_code": _text(address.get("country_code")).upper(),
        "phone": _text(address.get("phone")),
    }
    return {k: v for k, v in mapped.items() if v}


def _consents(customer: dict) -> dict[str, bool]:
    consents: dict[str, bool] = {}
    email_consent = customer.get("email_marketing_consent")
    if isinstance(email_consent, dict) and email_consent.get("state"):
        consents["marketing_email"] = email_consent["state"] == SUBSCRIBED
    elif isinstance(customer.get("accepts_marketing"), bool):
        # Before API 2022-04 the only signal: a plain yes/no.
        consents["marketing_email"] = customer["accepts_marketing"]
    sms_consent = customer.get("sms_marketing_consent")
    if isinstance(sms_consent, dict) and sms_consent.get("state"):
        consents["marketing_sms"] = sms_consent["state"] == SUBSCRIBED
    return consents


def guest_external_id(email: str) -> str:
    """A checkout without a customer account still has a shopper to tell about the order."""
    return f"guest:{email.strip().lower()}"


def customer_input(payload: dict) -> CustomerInput | None:
    """The order's shopper; None when the order names neither a customer nor an e-mail."""
    raw_customer = payload.get("customer")
    customer: dict = raw_customer if isinstance(raw_customer, dict) else {}
    email = _text(customer.get("email")) or _text(payload.get("email")) or _text(payload.get("contact_email"))
    if customer.get("id") is not None:
        external_id = _id(customer["id"], "customer.id")
    elif email:
        external_id = guest_external_id(email)
    else:
        return None
    # A phone not in E.164 form would fail the whole order's validation: drop it, keep the order.
    phone = _text(customer.get("phone")) or _text(payload.get("phone"))
    return CustomerInput(
        external_id=external_id, email=email, phone=phone if _E164.match(phone) else "",
        first_name=_text(customer.get("first_name"))[:100], last_name=_text(customer.get("last_name"))[:100],
        locale=_text(payload.get("customer_locale"))[:10], consents=_consents(customer),
        consent_source=ConsentSource.IMPORT)


def _line_items(payload: dict) -> list[dict]:
    items = payload.get("line_items")
    if not isinstance(items, list):
        raise ShopifyPayloadError("line_items must be a list.", details={"line_items": ["Expected a list."]})
    return [_object(item, f"line_items[{i}]") for i, item in enumerate(items)]


def line_input(item: dict, index: int) -> LineInput:
    field = f"line_items[{index}]"
    product_id = item.get("product_id")
    return LineInput(
        title=(_text(item.get("title")) or _text(item.get("name")) or "Item")[:255],
        quantity=_quantity(item, field), unit_price=money(item.get("price"), f"{field}.price"),
        sku=_text(item.get("sku"))[:100],
        # Custom items (no catalog product) have product_id null.
        product_external_id=_text(product_id) or None)


def _quantity(item: dict, field: str) -> int:
    quantity = item.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise ShopifyPayloadError(f"{field}.quantity must be a positive whole number.",
                                  details={f"{field}.quantity": [str(quantity)[:20]]})
    return quantity


def _shipping_total(payload: dict) -> Decimal:
    shop_money = ((payload.get("total_shipping_price_set") or {}).get("shop_money") or {})
    if shop_money.get("amount") not in (None, ""):
        return money(shop_money["amount"], "total_shipping_price_set.shop_money.amount")
    raw_lines = payload.get("shipping_lines")
    lines: list = raw_lines if isinstance(raw_lines, list) else []
    return sum((money(line.get("price"), f"shipping_lines[{i}].price", default=Decimal("0"))
                for i, line in enumerate(lines) if isinstance(line, dict)), Decimal("0"))


def order_input(payload: object) -> OrderInput:
    """An `orders/create` or `orders/updated` body (the Order resource at top level)."""
    payload = _object(payload, "body")
    external_id = _id(payload.get("id"), "id")
    number = _text(payload.get("name")) or (
        f"#{payload['order_number']}" if payload.get("order_number") is not None else "")
    if not number:
        raise ShopifyPayloadError("The order has neither a name nor an order_number.",
                                  details={"name": ["Required."]})
    currency = _text(payload.get("currency")).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ShopifyPayloadError("currency is missing or not an ISO 4217 code.",
                                  details={"currency": [currency or "Required."]})
    placed_at = (timestamp(payload.get("processed_at"), "processed_at")
                 or timestamp(payload.get("created_at"), "created_at"))
    if placed_at is None:
        raise ShopifyPayloadError("created_at is missing.", details={"created_at": ["Required."]})
    lines = [line_input(item, i) for i, item in enumerate(_line_items(payload))]
    if not lines:
        raise ShopifyPayloadError("The order has no line items.", details={"line_items": ["Empty."]})
    financial = _text(payload.get("financial_status")).lower()
    fulfillment = _text(payload.get("fulfillment_status")).lower() or None
    fulfillment_status = (Order.FulfillmentStatus.CANCELLED if payload.get("cancelled_at")
                          else FULFILLMENT_STATUS.get(fulfillment, Order.FulfillmentStatus.UNFULFILLED))
    return OrderInput(
        external_id=external_id, number=number[:32], placed_at=placed_at, currency=currency,
        lines=lines, customer=customer_input(payload),
        # Left out, our upsert derives subtotal from the lines and total from the parts.
        subtotal=_optional_money(payload.get("subtotal_price"), "subtotal_price"),
        shipping=_shipping_total(payload),
        tax=money(payload.get("total_tax"), "total_tax", default=Decimal("0")),
        total=_optional_money(payload.get("total_price"), "total_price"),
        shipping_address=shipping_address(payload.get("shipping_address")),
        source=Order.Source.SHOPIFY,
        financial_status=FINANCIAL_STATUS.get(financial, Order.FinancialStatus.PENDING),
        fulfillment_status=fulfillment_status,
        source_updated_at=timestamp(payload.get("updated_at"), "updated_at"))


def product_inputs(payload: object) -> list[ProductInput]:
    """One minimal product per catalog product the order's lines name (the line's title and
    price at the time of purchase), so lines link to a product and recommendations see it."""
    payload = _object(payload, "body")
    order = order_input(payload)
    products: dict[str, ProductInput] = {}
    for item, line in zip(_line_items(payload), order.lines, strict=True):
        if line.product_external_id and line.product_external_id not in products:
            products[line.product_external_id] = ProductInput(
                external_id=line.product_external_id,
                title=(_text(item.get("title")) or line.title)[:255], price=line.unit_price,
                currency=order.currency, sku=line.sku)
    return list(products.values())
