"""Signals the tracking app announces; higher apps connect receivers in AppConfig.ready().

    shopify_refund_created(sender=Order, tenant, refund: ShopifyRefund) -> int
        sent inside the transaction that applies a Shopify `refunds/create` delivery, for an
        order we know; each receiver answers how many of its rows the refund settled (returns
        marks the matching return refunded). Sent again for a replayed delivery: receivers
        are idempotent (the refund's id is their key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.dispatch import Signal

shopify_refund_created = Signal()


@dataclass(frozen=True)
class ShopifyRefund:
    """A Shopify refund of one of our orders: which of its lines (our line item ids, with the
    quantities refunded) and how much went back (successful refund transactions)."""

    id: str
    order_id: int
    lines: tuple[tuple[int, int], ...]
    amount: Decimal
    currency: str
    created_at: datetime | None
