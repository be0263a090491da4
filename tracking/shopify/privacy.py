"""Shopify's mandatory privacy topics, acted on (same signature as every other topic).

| topic                    | what we do                                                          |
|--------------------------|---------------------------------------------------------------------|
| customers/data_request   | a note on each of the shopper's orders (the retailer answers the    |
|                          | shopper; the agent console shows the request on the order) + a log  |
|                          | line; the stored delivery itself stays in the inbound webhook log   |
| customers/redact         | `customer_redact` for the shopper (by Shopify id, and the guest     |
|                          | record of their e-mail) and for the customers of `orders_to_redact` |
| shop/redact              | `customer_redact` for every customer of the store                   |

Redaction keeps the anonymous facts (orders, amounts, dates, country) for the retailer's
figures; see orders/services/privacy.py. All of it is idempotent: a customer already erased is
simply not found again, and the data-request note has a dedup key.
"""

from __future__ import annotations

import logging

from django.db.models import Q

from orders import services as order_services
from orders.models import Customer, Order, OrderEvent
from tenants.models import Tenant

from .mapping import ACTOR, ShopifyPayloadError, guest_external_id

logger = logging.getLogger(__name__)


def _text(value: object) -> str:
    return "" if value is None or isinstance(value, dict | list | bool) else str(value).strip()


def _customer_keys(payload: dict) -> list[str]:
    """Our external ids for the shopper: their Shopify id, and the guest record of their e-mail."""
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    keys = [_text(customer.get("id"))]
    if _text(customer.get("email")):
        keys.append(guest_external_id(_text(customer["email"])))
    return [k for k in keys if k]


def _order_ids(payload: dict, field: str) -> list[str]:
    ids = payload.get(field)
    return [_text(i) for i in ids if _text(i)] if isinstance(ids, list) else []


def validate(topic: str, payload: object) -> None:
    if not isinstance(payload, dict):
        raise ShopifyPayloadError("The body must be a JSON object.",
                                  details={"body": ["Expected an object."]})
    if topic != "shop/redact" and not _customer_keys(payload):
        raise ShopifyPayloadError("customer.id or customer.email is missing.",
                                  details={"customer": ["Required."]})


def apply(tenant: Tenant, topic: str, payload: dict, *, inbound_id: int) -> int:
    """Returns how many customers were erased (or orders noted, for a data request)."""
    if topic == "customers/data_request":
        return data_request_record(tenant, payload, inbound_id=inbound_id)
    if topic == "customers/redact":
        keys = _customer_keys(payload)
        ordered_by = Order.objects.filter(external_id__in=_order_ids(payload, "orders_to_redact"),
                                          customer__isnull=False).values_list("customer_id", flat=True)
        ids = Customer.objects.filter(Q(external_id__in=keys) | Q(pk__in=ordered_by)).values_list(
            "pk", flat=True)
        return _redact(tenant, list(ids))
    return _redact(tenant, list(Customer.objects.values_list("pk", flat=True)))


def _redact(tenant: Tenant, customer_ids: list[int]) -> int:
    for customer_id in customer_ids:
        order_services.customer_redact(tenant, customer_id, actor=ACTOR)
    logger.info("shopify redaction applied", extra={"tenant_id": tenant.pk, "customers": len(customer_ids)})
    return len(customer_ids)


def data_request_record(tenant: Tenant, payload: dict, *, inbound_id: int) -> int:
    request_id = _text((payload.get("data_request") or {}).get("id")) if isinstance(
        payload.get("data_request"), dict) else ""
    orders = Order.objects.filter(Q(customer__external_id__in=_customer_keys(payload))
                                  | Q(external_id__in=_order_ids(payload, "orders_requested")))
    order_ids = list(orders.values_list("pk", flat=True))
    for order_id in order_ids:
        order_services.order_event_record(
            tenant, order_id, OrderEvent.Kind.NOTE,
            f"Shopify data request{f' {request_id}' if request_id else ''}: the shopper asked for "
            "the data held about them. Send them this order's details and the messages they were sent.",
            actor=ACTOR, data={"topic": "customers/data_request", "data_request_id": request_id,
                               "inbound_webhook_id": inbound_id},
            dedup_key=f"shopify:data_request:{request_id or inbound_id}")
    # Also a log line: a shopper with no orders here has no timeline to show it on.
    logger.info("shopify customer data request", extra={
        "tenant_id": tenant.pk, "data_request_id": request_id, "orders": len(order_ids),
        "inbound_id": inbound_id})
    return len(order_ids)
