"""Shopify `refunds/create`: a refund of an order's lines, handed to the apps above
(tracking.signals.shopify_refund_created; returns marks the matching return refunded).

Body (Shopify's REST Refund resource, at the top level as every webhook): `id`, `order_id`,
`created_at`, `note`, `refund_line_items[]` {`line_item_id`, `quantity`, `line_item` {…the
order line: `product_id`, `sku`, `title`}}, `transactions[]` {`kind` ("refund"), `status`
("success"), `amount` (string), `currency`}. Our lines keep no Shopify line id, so the
refunded lines are matched as a fulfillment's are (product, SKU, title). A refund of an order
we do not have is stored and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orders.models import Order
from tenants.models import Tenant

from ..signals import ShopifyRefund, shopify_refund_created
from .fulfillments import FulfilledLine, match_lines
from .mapping import ShopifyPayloadError, money, timestamp


@dataclass(frozen=True)
class RefundBody:
    id: str
    order_id: str
    lines: tuple[FulfilledLine, ...]
    amount: Decimal
    currency: str
    created_at: object


def _text(value: object) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def refund_parse(payload: object) -> RefundBody:
    if not isinstance(payload, dict):
        raise ShopifyPayloadError("The refund must be a JSON object.",
                                  details={"body": ["Expected an object."]})
    refund_id, order_id = _text(payload.get("id")), _text(payload.get("order_id"))
    if not refund_id or not order_id:
        raise ShopifyPayloadError("The refund needs an id and an order_id.",
                                  details={"id" if not refund_id else "order_id": ["Required."]})
    lines = []
    for i, item in enumerate(payload.get("refund_line_items") or []):
        if not isinstance(item, dict):
            raise ShopifyPayloadError("A refund line must be an object.",
                                      details={f"refund_line_items[{i}]": ["Expected an object."]})
        found = item.get("line_item")
        line: dict = found if isinstance(found, dict) else {}
        quantity = item.get("quantity")
        lines.append(FulfilledLine(
            product_id=_text(line.get("product_id")), sku=_text(line.get("sku")),
            title=_text(line.get("title")) or _text(line.get("name")),
            quantity=quantity if isinstance(quantity, int) and quantity > 0 else 1))
    amount, currency = Decimal("0"), ""
    for i, transaction in enumerate(payload.get("transactions") or []):
        if (isinstance(transaction, dict) and transaction.get("kind") == "refund"
                and transaction.get("status") in ("success", None)):
            amount += money(transaction.get("amount"), f"transactions[{i}].amount")
            currency = currency or _text(transaction.get("currency")).upper()[:3]
    return RefundBody(id=refund_id, order_id=order_id, lines=tuple(lines), amount=amount,
                      currency=currency, created_at=timestamp(payload.get("created_at"),
                                                              "created_at"))


def refund_apply(tenant: Tenant, refund: RefundBody) -> int:
    """Hand the refund of an order we know to the apps above; returns how many rows they
    settled (0 for an order we do not have: the delivery is kept, nothing changes)."""
    order = Order.objects.filter(external_id=refund.order_id).first()
    if order is None:
        return 0
    found = ShopifyRefund(id=refund.id, order_id=order.pk,
                          lines=tuple(match_lines(order, refund.lines)), amount=refund.amount,
                          currency=refund.currency or order.currency,
                          created_at=refund.created_at)  # type: ignore[arg-type]
    answers = shopify_refund_created.send(sender=Order, tenant=tenant, refund=found)
    return sum(int(count or 0) for _receiver, count in answers)
