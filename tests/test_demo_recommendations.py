"""The demo store's orders teach the recommender what an outdoor shop would (issue 16): a
stove and a sleeping bag after a tent, gloves and a hat after a jacket, learned from the
seeded baskets (orders/demo.py) as scripts/demo.py learns them after seeding."""

from __future__ import annotations

import pytest

from orders import demo
from orders.models import Product
from recommendations.learning import associations_recompute
from recommendations.models import ProductAssociation
from recommendations.selectors import recommendation_preview
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return demo.seed_demo()


def test_the_recommender_learns_that_a_tent_goes_with_a_stove_and_a_jacket_with_gloves(seeded):
    tenant, _ = seeded
    goes_with = {"Tents": ("Stove", "Sleeping Bag"), "Jackets": ("Gloves", "Beanie", "Hat")}
    with tenant_scope(tenant):
        associations_recompute(tenant)  # as scripts/demo.py does after seeding
        products = {p.pk: p for p in Product.objects.all()}
        learned: dict[int, list[str]] = {}
        for row in ProductAssociation.objects.filter(kind="complement").order_by(
                "product_id", "-score", "related_id"):
            learned.setdefault(row.product_id, []).append(products[row.related_id].title)
        by_title = {p.title: p for p in products.values()}
        previews = {title: [row.product.title for row in recommendation_preview(
                        product=by_title[title], limit=3)]
                    for title in ("Ridgeline 2 Backpacking Tent", "Storm Shell Jacket Men's")}
    # every tent's and every jacket's two best complements include what goes with it
    for product in products.values():
        if product.category in goes_with:
            best = learned.get(product.pk, [])[:2]
            assert any(word in title for title in best for word in goes_with[product.category]), (
                product.title, best)
    # and the preview of a purchase shows them first (in stock, learned from the orders)
    assert any(word in title for title in previews["Ridgeline 2 Backpacking Tent"][:2]
               for word in goes_with["Tents"]), previews
    assert any(word in title for title in previews["Storm Shell Jacket Men's"][:2]
               for word in goes_with["Jackets"]), previews
