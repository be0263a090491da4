"""A batch of messages' recommendations is a fixed number of queries, not one per message."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services as orders_services
from recommendations import services
from recommendations.learning import associations_recompute
from recommendations.selectors import complementary_products_many
from tenants.context import tenant_scope

from .store import ids, order, product

# settings, lines, history, ignored showings, associations, rules, category rules and
# pairs, best sellers, catalog, products: never more, whatever the batch's size
MAX_QUERIES = 12


@pytest.mark.django_db
def test_a_hundred_orders_picks_take_the_same_few_queries_as_one(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [
            product(f"p{n}", f"Product {n}", f"Category {n % 12}", in_stock=n % 7 != 0)
            for n in range(120)])
        batch = [order(tenant, f"#{n}", f"c-{n % 40}",
                       [f"p{(n * 7 + k) % 120}" for k in range(1 + n % 4)], days_ago=n % 90)
                 for n in range(100)]
        associations_recompute(tenant)
        services.product_rules_replace(tenant, "curated", ids("p1", "p2"))
        services.category_rules_replace(tenant, {"Category 1": ["Category 2"]})
        with CaptureQueriesContext(connection) as ten:
            complementary_products_many(batch[:10], limit=4)
        with CaptureQueriesContext(connection) as hundred:
            picks = complementary_products_many(batch, limit=4)
    assert len(hundred) == len(ten) <= MAX_QUERIES
    assert {len(found) for found in picks.values()} == {4}
