"""A Shopify fulfillment becomes shipments: one per tracking number, each carrying the
fulfillment's lines (Shopify does not say which parcel holds which item).

A fulfillment can arrive before its order (deliveries are not ordered). It then waits: the
delivery stays queued (`WaitingForOrder`), the order's delivery re-queues it and the periodic
sweep retries it, so it is applied with its order and lines, never as an orphan shipment.
"""

from __future__ import annotations

from dataclasses import dataclass

from orders.models import LineItem, Order
from tenants.models import Tenant

from ..services import shipment_create
from .mapping import ACTOR, ShopifyPayloadError

WAITING_PREFIX = "Waiting for order"
# Statuses of a fulfillment that shipped nothing: no shipment is made for them.
NOT_SHIPPED = frozenset({"cancelled", "error", "failure"})


class WaitingForOrder(Exception):
    def __init__(self, order_id: str):
        super().__init__(f"{WAITING_PREFIX} {order_id}: the fulfillment arrived first; retried "
                         "when the order arrives, and by the sweep.")


@dataclass(frozen=True)
class FulfilledLine:
    product_id: str
    sku: str
    title: str
    quantity: int


@dataclass(frozen=True)
class Fulfillment:
    id: str
    order_id: str
    status: str
    carrier: str
    tracking_numbers: tuple[str, ...]
    lines: tuple[FulfilledLine, ...]


def _text(value: object) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def fulfillment_parse(payload: object, *, order_id: str | None = None) -> Fulfillment:
    """A fulfillment resource (a fulfillments/* body, or one of an order's `fulfillments`)."""
    if not isinstance(payload, dict):
        raise ShopifyPayloadError("The fulfillment must be a JSON object.",
                                  details={"body": ["Expected an object."]})
    fulfillment_id, order = _text(payload.get("id")), order_id or _text(payload.get("order_id"))
    if not fulfillment_id or not order:
        raise ShopifyPayloadError("The fulfillment needs an id and an order_id.",
                                  details={"id" if not fulfillment_id else "order_id": ["Required."]})
    numbers = payload.get("tracking_numbers")
    if not isinstance(numbers, list) or not numbers:
        numbers = [payload.get("tracking_number")]
    # Order kept, repeats and blanks dropped; our column holds 64 characters.
    tracking = tuple(dict.fromkeys(n for n in (_text(x)[:64] for x in numbers) if n))
    items = payload.get("line_items") if isinstance(payload.get("line_items"), list) else []
    lines = tuple(
        FulfilledLine(product_id=_text(item.get("product_id")), sku=_text(item.get("sku")),
                      title=_text(item.get("title")) or _text(item.get("name")),
                      quantity=item["quantity"] if isinstance(item.get("quantity"), int) else 1)
        for item in items if isinstance(item, dict))
    return Fulfillment(id=fulfillment_id, order_id=order, status=_text(payload.get("status")).lower(),
                       carrier=_text(payload.get("tracking_company")), tracking_numbers=tracking,
                       lines=lines)


def _score(line: LineItem, wanted: FulfilledLine) -> int:
    """How surely an order line is the fulfilled one: our lines keep no Shopify line id, so
    the product, then the SKU, then the title decide."""
    score = 0
    if wanted.product_id and line.product is not None and line.product.external_id == wanted.product_id:
        score += 4
    if wanted.sku and line.sku == wanted.sku:
        score += 2
    if wanted.title and line.title == wanted.title:
        score += 1
    return score


def match_lines(order: Order, wanted: tuple[FulfilledLine, ...]) -> list[tuple[int, int]]:
    """(line item id, quantity) for each fulfilled line we can name; each order line once."""
    free = list(order.lines.select_related("product").order_by("position"))
    pairs = []
    for item in wanted:
        scored = [(_score(line, item), -line.position, line) for line in free]
        best = max(scored, key=lambda s: s[:2], default=None)
        if best is None or best[0] == 0:
            continue
        line = best[2]
        free.remove(line)
        pairs.append((line.pk, max(1, min(item.quantity, line.quantity))))
    return pairs


def fulfillment_apply(tenant: Tenant, fulfillment: Fulfillment, *, order: Order | None = None) -> int:
    """Create (or complete) the fulfillment's shipments; returns how many it names."""
    if fulfillment.status in NOT_SHIPPED or not fulfillment.tracking_numbers:
        return 0
    order = order or Order.objects.filter(external_id=fulfillment.order_id).first()
    if order is None:
        raise WaitingForOrder(fulfillment.order_id)
    items = match_lines(order, fulfillment.lines)
    for number in fulfillment.tracking_numbers:
        # shipment_create writes "shipment created" on the order's timeline, once.
        shipment_create(tenant, carrier=fulfillment.carrier or "unknown", tracking_number=number,
                        order=order, items=items, actor=ACTOR)
    return len(fulfillment.tracking_numbers)
