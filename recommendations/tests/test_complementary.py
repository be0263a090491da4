"""Complementary picks: what goes with the order, never more of the same, in stock only."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count
from django.utils import timezone

from orders import services
from orders.models import LineItem, Order, Product
from recommendations import selectors
from recommendations.selectors import complementary_products
from tenants.context import tenant_scope


def product(external_id, title, category, *, in_stock=True):
    return services.ProductInput(external_id=external_id, title=title, category=category,
                                 price=Decimal("20"), currency="EUR", in_stock=in_stock,
                                 url=f"https://shop.test/{external_id}")


def order(tenant, number, customer, product_ids, *, days_ago=5):
    return services.order_upsert(tenant, services.OrderInput(
        external_id=number, number=number, currency="EUR",
        placed_at=timezone.now() - timedelta(days=days_ago),
        customer=services.CustomerInput(external_id=customer),
        lines=[services.LineInput(title=p, quantity=1, unit_price=Decimal("20"),
                                  product_external_id=p) for p in product_ids]))[0]


@pytest.fixture
def store(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        services.product_upsert_many(tenant, [
            product("tent", "Trail Tent", "Tents"), product("tent-xl", "Family Tent", "Tents"),
            product("stove", "Camp Stove", "Cooking"), product("mug", "Enamel Mug", "Cooking"),
            product("lamp", "Head Lamp", "Lights"),
            product("sold-out", "Sold-out Chair", "Furniture", in_stock=False)])
        # Tent buyers tend to buy stoves, then lamps.
        order(tenant, "#1", "c-1", ["tent", "stove"])
        order(tenant, "#2", "c-2", ["tent", "stove", "lamp"])
        order(tenant, "#3", "c-3", ["tent-xl", "sold-out"])
        yield tenant


@pytest.mark.django_db
def test_a_tent_buyer_is_offered_what_goes_with_a_tent_most_often_first(store):
    with tenant_scope(store):
        picks = complementary_products(order(store, "#9", "c-9", ["tent"]), limit=2)
    assert [p["title"] for p in picks] == ["Camp Stove", "Head Lamp"]


@pytest.mark.django_db
def test_never_another_of_the_same_category_nor_out_of_stock_nor_already_bought(store):
    with tenant_scope(store):
        picks = complementary_products(order(store, "#10", "c-1", ["tent"]), limit=5)
    titles = {p["title"] for p in picks}
    assert "Family Tent" not in titles and "Sold-out Chair" not in titles
    assert "Camp Stove" not in titles  # c-1 bought one already
    assert titles == {"Head Lamp", "Enamel Mug"}


@pytest.mark.django_db
def test_a_new_store_still_gets_complementary_picks(personas):
    tenant = personas.tenant_b
    with tenant_scope(tenant):
        services.product_upsert_many(tenant, [product("tent", "Tent", "Tents"),
                                              product("stove", "Stove", "Cooking")])
        placed = services.order_upsert(tenant, services.OrderInput(
            external_id="o", number="#1", currency="EUR", placed_at=datetime(2026, 1, 1, tzinfo=UTC),
            lines=[services.LineInput(title="Tent", quantity=1, unit_price=Decimal("1"),
                                      product_external_id="tent")]))[0]
        assert [p["title"] for p in complementary_products(placed)] == ["Stove"]


@pytest.mark.django_db
def test_only_the_most_recent_other_orders_with_its_categories_count(personas, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_ORDERS", 1)
    tenant = personas.tenant_b
    with tenant_scope(tenant):
        services.product_upsert_many(tenant, [product("tent", "Tent", "Tents"),
                                              product("stove", "Stove", "Cooking"),
                                              product("lamp", "Lamp", "Lights")])
        order(tenant, "#1", "c-1", ["tent", "stove"], days_ago=30)
        order(tenant, "#2", "c-2", ["stove"], days_ago=20)
        order(tenant, "#3", "c-3", ["tent", "lamp"], days_ago=10)
        picks = complementary_products(order(tenant, "#4", "c-4", ["tent"]), limit=1)
    # the latest other tent order (#3) had a lamp; the best sellers would say the stove
    assert [p["title"] for p in picks] == ["Lamp"]


@pytest.mark.django_db
def test_a_store_without_recent_sales_offers_its_catalog_by_title(personas):
    tenant = personas.tenant_b
    with tenant_scope(tenant):
        services.product_upsert_many(tenant, [product("tent", "Tent", "Tents")] + [
            product(f"stove-{letter}", f"{letter} Stove", "Cooking") for letter in "DCBA"])
        placed = order(tenant, "#1", "c-1", ["tent"], days_ago=400)
        assert [p["title"] for p in complementary_products(placed, limit=2)] == [
            "A Stove", "B Stove"]

def picks_one_order_at_a_time(order, limit):
    """The reference: the per-order queries the batch replaced (five to seven per order)."""
    bought = list(order.lines.exclude(product=None).values_list("product_id", "product__category"))
    bought_ids = {product_id for product_id, _ in bought}
    categories = {category for _, category in bought}
    if order.customer_id:
        bought_ids |= set(LineItem.objects.filter(order__customer_id=order.customer_id)
                          .exclude(product=None).values_list("product_id", flat=True))
    candidates = Product.objects.filter(in_stock=True).exclude(pk__in=bought_ids).exclude(
        category__in=categories)
    since = timezone.now() - selectors.WINDOW
    peer_orders = list(Order.objects.filter(
        placed_at__gte=since, lines__product__category__in=categories).exclude(pk=order.pk)
        .order_by("-placed_at").values_list("pk", flat=True).distinct()[:selectors.MAX_ORDERS])

    def ranked(lines, n):
        return [row["product_id"] for row in lines.values("product_id").annotate(
            n=Count("id")).order_by("-n", "product_id")[:n]] if n > 0 else []

    ids = ranked(LineItem.objects.filter(order_id__in=peer_orders, product__in=candidates), limit)
    if len(ids) < limit:
        ids += ranked(LineItem.objects.filter(order__placed_at__gte=since, product__in=candidates)
                      .exclude(product_id__in=ids), limit - len(ids))
    if len(ids) < limit:
        ids += list(candidates.exclude(pk__in=ids).order_by("title", "pk").values_list(
            "pk", flat=True)[:limit - len(ids)])
    return ids


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [1, 3, 5])
def test_a_batch_picks_for_each_order_what_it_would_pick_for_it_alone(personas, monkeypatch,
                                                                        limit):
    # Given a store with co-purchases over eight categories, some sold out, shoppers who come
    # back, old orders outside the window, and few enough peers per order that the bound bites
    monkeypatch.setattr(selectors, "MAX_ORDERS", 6)
    tenant, rng = personas.tenant_a, random.Random(13)
    catalog = [product(f"p{n}", f"Product {n % 7}", f"Category {n % 8}",
                       in_stock=rng.random() > 0.15) for n in range(40)]
    with tenant_scope(tenant):
        services.product_upsert_many(tenant, catalog)
        # ("gift-card" is in no catalog: a line without a product)
        orders = [order(tenant, f"#{n}", f"c-{rng.randrange(12)}",
                        rng.sample([p.external_id for p in catalog], rng.randrange(0, 4))
                        or ["gift-card"], days_ago=n * 7 + 1) for n in range(36)]
        # when the picks are made for all orders at once
        batch = selectors.complementary_products_many(orders, limit=limit)
        # then each order gets exactly what the per-order queries pick
        for placed in orders:
            assert [p.pk for p in batch[placed.pk]] == picks_one_order_at_a_time(placed, limit)
        assert {len(picks) for picks in batch.values()} == {limit}
