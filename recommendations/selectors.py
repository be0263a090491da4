"""Complementary products for a shopper: what goes *with* what they bought, not another one
of it (a stove after a tent, not a second tent).

    order's categories ─▶ other orders with those categories (recent, bounded) ─▶ what else
    was in them, from other categories, in stock, not already bought ─▶ ranked by how often
    ─▶ topped up with the store's best sellers from other categories (curated fallback)

Two or three indexed queries per order; shown only to shoppers with marketing consent (the
caller decides), every link tracked by the message's click redirect (attribution).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from orders.models import LineItem, Order, Product

# How far back co-purchases are read, and how many orders at most: a bounded query however
# large the store is.
WINDOW = timedelta(days=180)
MAX_ORDERS = 2000


def complementary_products(order: Order, *, limit: int = 3, locale: str | None = None
                           ) -> list[dict]:
    """Up to `limit` picks for `order`, titled and linked in the shopper's `locale` where the
    catalog has a translation."""
    bought = list(order.lines.exclude(product=None).values_list("product_id", "product__category"))
    bought_ids = {product_id for product_id, _ in bought}
    categories = {category for _, category in bought}
    if order.customer_id:
        bought_ids |= set(LineItem.objects.filter(order__customer_id=order.customer_id)
                          .exclude(product=None).values_list("product_id", flat=True))
    candidates = Product.objects.filter(in_stock=True).exclude(pk__in=bought_ids).exclude(
        category__in=categories)

    since = timezone.now() - WINDOW
    peer_orders = list(Order.objects.filter(
        placed_at__gte=since, lines__product__category__in=categories).exclude(pk=order.pk)
        .order_by("-placed_at").values_list("pk", flat=True).distinct()[:MAX_ORDERS])
    # Bought together with this order's categories, most often first; then best sellers.
    together = _ranked_product_ids(LineItem.objects.filter(
        order_id__in=peer_orders, product__in=candidates), limit)
    sellers = _ranked_product_ids(LineItem.objects.filter(
        order__placed_at__gte=since, product__in=candidates).exclude(product_id__in=together),
        limit - len(together)) if len(together) < limit else []
    ids = together + sellers
    if len(ids) < limit:  # a new store: anything complementary in stock
        ids += list(candidates.exclude(pk__in=ids).order_by("title").values_list(
            "pk", flat=True)[:limit - len(ids)])
    products = {p.pk: p for p in Product.objects.filter(pk__in=ids)}
    picks = []
    for product in (products[pk] for pk in ids if pk in products):
        texts = product.translation(locale)
        picks.append({"title": texts.get("title", product.title),
                      "url": texts.get("url", product.url), "image_url": product.image_url,
                      "price": Decimal(product.price), "currency": product.currency,
                      "category": product.category})
    return picks


def _ranked_product_ids(lines, limit: int) -> list[int]:
    if limit <= 0:
        return []
    return [row["product_id"] for row in lines.values("product_id").annotate(
        n=Count("id")).order_by("-n", "product_id")[:limit]]
