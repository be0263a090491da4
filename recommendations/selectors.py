"""Reads other apps use: recommended products for orders (messages, the tracking page), and
the preview a retailer reads ("what would be shown, and why").

The picking itself is recommendations/picking.py (a fixed number of queries per batch);
here it is shaped for the callers. Shown only to shoppers with marketing consent (the
caller decides), every link tracked (attribution).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from orders.models import Order, Product
from tenants.context import require_current_tenant
from tenants.selectors import absolute_url

from .attribution import (
    AttributedOrder,
    AttributionSummary,
    attributed_orders,
    attribution_summary,
)
from .models import ProductAssociation, RecommendationShown, Surface
from .picking import Target, picks_many

# Attribution (attribution.py): per placement and product for the dashboard and the API,
# per order for the analytics rollups.
__all__ = ["AttributedOrder", "AttributionSummary", "PreviewRow", "association_list",
           "attributed_orders", "attribution_summary", "complementary_products",
           "complementary_products_many", "product_pick", "recommendation_preview",
           "recommendation_shown_for_link"]


def complementary_products(order: Order, *, limit: int | None = None,
                           locale: str | None = None, surface: str = Surface.EMAIL
                           ) -> list[dict]:
    """Up to `limit` picks for `order` (the store's count for `surface` when None), titled
    and linked in the shopper's `locale` where the catalog has a translation."""
    picks = complementary_products_many([order], limit=limit, surface=surface)[order.pk]
    return [product_pick(product, locale) for product in picks]


def product_pick(product: Product, locale: str | None) -> dict:
    """A pick as messages show it, in `locale` where the catalog has a translation."""
    texts = product.translation(locale)
    return {"id": product.pk, "title": texts.get("title", product.title),
            "url": texts.get("url", product.url), "image_url": product.image_url,
            "price": Decimal(product.price), "currency": product.currency,
            "category": product.category}


def complementary_products_many(orders: Iterable[Order], *, limit: int | None = None,
                                surface: str = Surface.EMAIL) -> dict[int, list[Product]]:
    """Up to `limit` products for each order, by order id, best first, in a fixed number of
    queries whatever the batch's size (picking.py)."""
    orders = list(orders)
    if not orders:
        return {}
    picked = picks_many(require_current_tenant(),
                        [Target(key=o.pk, order_id=o.pk, customer_id=o.customer_id)
                         for o in orders], surface=surface, limit=limit)
    products = Product.objects.in_bulk({p.product_id for ps in picked.values() for p in ps})
    return {o.pk: [products[p.product_id] for p in picked[o.pk] if p.product_id in products]
            for o in orders}


@dataclass(frozen=True)
class PreviewRow:
    """One recommended product and why: the step of the chain that chose it, its score and,
    for a learned complement, the bought products it goes with."""

    product: Product
    step: str
    score: float
    because: list[Product]


def recommendation_preview(*, order: Order | None = None, product: Product | None = None,
                           surface: str = Surface.EMAIL, limit: int | None = None
                           ) -> list[PreviewRow]:
    """What `order` (its shopper's history included) would be shown, or what would follow a
    purchase of `product` alone."""
    tenant = require_current_tenant()
    if order is not None:
        target = Target(key=0, order_id=order.pk, customer_id=order.customer_id)
        picks = picks_many(tenant, [target], surface=surface, limit=limit)[0]
    elif product is not None:
        target = Target(key=0, product_ids=(product.pk,))
        picks = picks_many(tenant, [target], surface=surface, limit=limit)[0]
    else:
        raise ValueError("preview an order or a product")
    ids = {p.product_id for p in picks} | {b for p in picks for b in p.because}
    products = Product.objects.in_bulk(ids)
    return [PreviewRow(products[p.product_id], p.step, p.score,
                       [products[b] for b in p.because if b in products])
            for p in picks if p.product_id in products]


def association_list(product_id: int, *, kind: str | None = None) -> list[ProductAssociation]:
    """What the store learned about a product, best first."""
    rows = ProductAssociation.objects.filter(product_id=product_id).select_related("related")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("kind", "-score", "related_id"))


def recommendation_shown_for_link(surface: str, reference: str, url: str
                                  ) -> RecommendationShown | None:
    """The recommended product a link of a message (`reference`: its id) leads to, if the
    link is one: matched on the product's page as the message showed it (in any of its
    languages). One query: the products shown in that message."""
    for shown in RecommendationShown.objects.filter(
            surface=surface, reference=reference).select_related("product"):
        product = shown.product
        urls = {product.url, *(texts.get("url", "") for texts in
                               (product.translations or {}).values() if isinstance(texts, dict))}
        if url in {absolute_url(u) for u in urls if u}:
            return shown
    return None
