"""Complementary products for a shopper: what goes *with* what they bought, not another one
of it (a stove after a tent, not a second tent).

    order's categories ─▶ other orders with those categories (recent, bounded) ─▶ what else
    was in them, from other categories, in stock, not already bought ─▶ ranked by how often
    ─▶ topped up with the store's best sellers from other categories (curated fallback)

A whole batch of orders (a dispatch batch's messages) is answered in at most seven queries,
whatever its size: what the orders and their customers bought, the recent orders per
category, those orders' lines, the best sellers, the catalog fallback and the picks; the
ranking per order runs here. The co-purchases read stay bounded however many orders the
store has (MAX_ORDERS per category), the best sellers and the fallback at most one row per
product. Shown only to shoppers with marketing consent (the caller decides), every link
tracked by the message's click redirect (attribution).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Window
from django.db.models.functions import DenseRank, RowNumber
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
    picks = complementary_products_many([order], limit=limit)[order.pk]
    return [product_pick(product, locale) for product in picks]


def product_pick(product: Product, locale: str | None) -> dict:
    """A pick as messages show it, in `locale` where the catalog has a translation."""
    texts = product.translation(locale)
    return {"title": texts.get("title", product.title), "url": texts.get("url", product.url),
            "image_url": product.image_url, "price": Decimal(product.price),
            "currency": product.currency, "category": product.category}


def complementary_products_many(orders: Iterable[Order], *, limit: int = 3
                                ) -> dict[int, list[Product]]:
    """Up to `limit` products for each order, by order id, best first (see the module)."""
    by_id = {order.pk: order for order in orders}
    if not by_id:
        return {}
    since = timezone.now() - WINDOW
    bought, categories = _bought(by_id)
    recent = _recent_orders_by_category(set().union(*categories.values()), since)
    peers = {pk: _peers(pk, categories[pk], recent) for pk in by_id}
    peer_lines = _in_stock_lines(set().union(*peers.values()))

    def candidate(product_id: int, category: str, pk: int) -> bool:
        return product_id not in bought[pk] and category not in categories[pk]

    picked: dict[int, list[int]] = {}

    def top_up(pk: int, ranked: list[tuple[int, str]]) -> None:
        picked[pk] += [product_id for product_id, category in ranked
                       if candidate(product_id, category, pk)
                       and product_id not in picked[pk]][:limit - len(picked[pk])]

    for pk in by_id:
        # Bought together with this order's categories, most often first.
        together = Counter(product_id for peer in peers[pk]
                           for product_id, category in peer_lines.get(peer, ())
                           if candidate(product_id, category, pk))
        picked[pk] = [product_id for product_id, _ in
                      sorted(together.items(), key=lambda item: (-item[1], item[0]))[:limit]]
    short = [pk for pk in by_id if len(picked[pk]) < limit]
    if short:  # then the store's best sellers
        sellers = _best_sellers(since)
        for pk in short:
            top_up(pk, sellers)
    short = [pk for pk in by_id if len(picked[pk]) < limit]
    if short:  # a new store: anything complementary in stock
        per_category = limit + max(len(bought[pk]) + len(picked[pk]) for pk in short)
        catalog = _catalog_by_title(per_category)
        for pk in short:
            top_up(pk, catalog)
    products = Product.objects.in_bulk({pk for ids in picked.values() for pk in ids})
    return {pk: [products[product_id] for product_id in ids if product_id in products]
            for pk, ids in picked.items()}


def _bought(orders: dict[int, Order]) -> tuple[dict[int, set[int]], dict[int, set[str]]]:
    """By order: the products the order and its customer ever bought, and the order's
    categories."""
    bought: dict[int, set[int]] = {pk: set() for pk in orders}
    categories: dict[int, set[str]] = {pk: set() for pk in orders}
    for order_id, product_id, category in LineItem.objects.filter(
            order_id__in=orders).exclude(product=None).values_list(
            "order_id", "product_id", "product__category"):
        bought[order_id].add(product_id)
        categories[order_id].add(category)
    customer_ids = {order.customer_id for order in orders.values() if order.customer_id}
    if customer_ids:
        history: dict[int, set[int]] = defaultdict(set)
        for customer_id, product_id in LineItem.objects.filter(
                order__customer_id__in=customer_ids).exclude(product=None).values_list(
                "order__customer_id", "product_id").distinct():
            history[customer_id].add(product_id)
        for pk, order in orders.items():
            if order.customer_id:
                bought[pk] |= history[order.customer_id]
    return bought, categories


def _recent_orders_by_category(categories: set[str], since: datetime
                               ) -> dict[str, list[tuple[datetime, int]]]:
    """The most recent MAX_ORDERS + 1 orders with a line in each category: an order's peers
    (the most recent MAX_ORDERS with any of its categories, itself left out) are all among
    its categories' lists, whatever the other orders."""
    if not categories:
        return {}
    recent: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    # DENSE_RANK numbers orders, not lines: an order's lines in one category share a rank.
    rows = LineItem.objects.filter(
        order__placed_at__gte=since, product__category__in=categories).annotate(
        rank=Window(DenseRank(), partition_by=F("product__category"),
                    order_by=(F("order__placed_at").desc(), F("order_id").desc())),
    ).filter(rank__lte=MAX_ORDERS + 1).order_by().values_list(
        "product__category", "order__placed_at", "order_id").distinct()
    for category, placed_at, order_id in rows:
        recent[category].append((placed_at, order_id))
    return recent


def _peers(pk: int, categories: set[str], recent: dict[str, list[tuple[datetime, int]]]
           ) -> list[int]:
    found = {row for category in categories for row in recent.get(category, ())
             if row[1] != pk}
    return [order_id for _, order_id in sorted(found, reverse=True)[:MAX_ORDERS]]


def _in_stock_lines(order_ids: set[int]) -> dict[int, list[tuple[int, str]]]:
    """By order: (product id, category) of each line of an in-stock product."""
    lines: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if order_ids:
        for order_id, product_id, category in LineItem.objects.filter(
                order_id__in=order_ids, product__in_stock=True).values_list(
                "order_id", "product_id", "product__category"):
            lines[order_id].append((product_id, category))
    return lines


def _best_sellers(since: datetime) -> list[tuple[int, str]]:
    """In-stock products sold since `since`, (id, category), the most lines first."""
    return list(LineItem.objects.filter(order__placed_at__gte=since, product__in_stock=True)
                .values("product_id").annotate(n=Count("id"))
                .order_by("-n", "product_id").values_list("product_id", "product__category"))


def _catalog_by_title(per_category: int) -> list[tuple[int, str]]:
    """In-stock products, (id, category) by title, the first `per_category` of each
    category: enough for every order, which skips its own categories and at most what it
    bought or picked already."""
    return list(Product.objects.filter(in_stock=True).annotate(
        rank=Window(RowNumber(), partition_by=F("category"), order_by=(F("title"), F("pk"))),
    ).filter(rank__lte=per_category).order_by("title", "pk").values_list("pk", "category"))
