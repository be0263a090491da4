"""A shopper who sent a product back is never offered it again, nor anything because of it;
a refused or withdrawn return does not count."""

import pytest

from orders import services as orders_services
from recommendations.learning import associations_recompute
from recommendations.picking import Target, picks_many
from recommendations.tests.store import order, product
from returns import services as returns_services
from returns.recommendations import returned_products
from returns.tests.factories import make_order, make_policy, make_request
from tenants.context import tenant_scope


@pytest.fixture
def store(personas):
    """Ridge jackets go with gloves; socks with boots (other shoppers' orders)."""
    tenant = personas.tenant_a
    make_policy(tenant, window_days=30)
    returned = make_order(tenant)  # a Ridge Jacket and Trail Socks, delivered
    with tenant_scope(tenant):
        jacket, socks = [line.product for line in returned.lines.order_by("position")]
        orders_services.product_upsert_many(tenant, [product("gloves", "Gloves", "Gloves"),
                                                     product("boots", "Boots", "Boots")])
        for n in range(3):
            order(tenant, f"#j{n}", f"o-{n}", [jacket.external_id, "gloves"], days_ago=20)
            order(tenant, f"#s{n}", f"p-{n}", [socks.external_id, "boots"], days_ago=20)
        associations_recompute(tenant)
    return tenant, returned, jacket


def titles(tenant, customer_id):
    from orders.models import Product

    with tenant_scope(tenant):
        picks = picks_many(tenant, [Target(key=1, customer_id=customer_id)], limit=5)[1]
        return [Product.objects.get(pk=p.product_id).title for p in picks
                if p.step == "complement"]


@pytest.mark.django_db
def test_nothing_is_recommended_because_of_a_returned_product(store):
    tenant, returned, jacket = store
    assert set(titles(tenant, returned.customer_id)) == {"Gloves", "Boots"}
    request = make_request(tenant, returned)  # the jacket goes back
    with tenant_scope(tenant):
        assert returned_products(tenant, {returned.customer_id}) == {
            returned.customer_id: {jacket.pk}}
    assert titles(tenant, returned.customer_id) == ["Boots"]
    with tenant_scope(tenant):
        returns_services.return_cancel(tenant, request.pk, actor="shopper")
        assert returned_products(tenant, {returned.customer_id}) == {}
    assert set(titles(tenant, returned.customer_id)) == {"Gloves", "Boots"}
