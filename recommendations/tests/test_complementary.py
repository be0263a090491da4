"""Complementary picks: what goes with the order, never more of the same, in stock only."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders import services
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
