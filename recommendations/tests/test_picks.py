"""Per-shopper picks from what the store learned: complements yes, substitutes no; never
what was bought, returned, blocked or is out of stock; pins first; never nothing."""

import pytest

from config.errors import ValidationFailed
from orders import services as orders_services
from recommendations import picking, services
from recommendations.learning import associations_recompute
from recommendations.selectors import complementary_products, recommendation_preview
from tenants.context import tenant_scope

from .store import ids, order, product, titles


@pytest.fixture
def outdoor(personas):
    """Tents go with stoves and sleeping bags, jackets with gloves and hats; a family tent
    is another tent (same category); nobody buys two tents."""
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [
            product("tent", "Trail Tent", "Tents"), product("tent-xl", "Family Tent", "Tents"),
            product("stove", "Camp Stove", "Cooking"), product("bag", "Down Bag", "Sleeping"),
            product("jacket", "Rain Jacket", "Jackets"), product("gloves", "Gloves", "Gloves"),
            product("hat", "Wool Hat", "Hats"), product("mug", "Enamel Mug", "Cooking"),
            product("chair", "Camp Chair", "Furniture", in_stock=False)])
        n = 0
        for basket, times in ((["tent", "stove", "bag"], 4), (["tent-xl", "stove", "chair"], 3),
                              (["jacket", "gloves", "hat"], 4), (["tent", "bag"], 2),
                              (["mug"], 6), (["jacket", "hat"], 2)):
            for _ in range(times):
                n += 1
                order(tenant, f"#{n}", f"c-{n}", basket, days_ago=n)
        associations_recompute(tenant)
    return tenant


@pytest.mark.django_db
def test_a_tent_buyer_gets_what_goes_with_a_tent_never_another_tent(outdoor):
    with tenant_scope(outdoor):
        picks = complementary_products(order(outdoor, "#100", "new", ["tent"]), limit=2)
    assert set(titles(picks)) == {"Camp Stove", "Down Bag"}


@pytest.mark.django_db
def test_a_jacket_buyer_gets_gloves_and_a_hat(outdoor):
    with tenant_scope(outdoor):
        picks = complementary_products(order(outdoor, "#100", "new", ["jacket"]), limit=2)
    assert set(titles(picks)) == {"Gloves", "Wool Hat"}


@pytest.mark.django_db
def test_out_of_stock_and_already_bought_never_appear(outdoor):
    with tenant_scope(outdoor):
        order(outdoor, "#99", "repeat", ["stove"], days_ago=40)
        picks = complementary_products(order(outdoor, "#100", "repeat", ["tent-xl"]), limit=5)
    assert "Camp Chair" not in titles(picks) and "Camp Stove" not in titles(picks)
    assert "Trail Tent" not in titles(picks)  # a substitute: same category
    assert titles(picks)[0] == "Down Bag"


@pytest.mark.django_db
def test_returned_and_blocked_products_never_appear(outdoor):
    with tenant_scope(outdoor):
        bag, stove = ids("bag", "stove")
        services.product_rules_replace(outdoor, "block", [stove])
        first = order(outdoor, "#99", "c-ret", ["mug"], days_ago=30)
        returned = {first.customer_id: {bag}}
        picking.returned_products_source_register(source := lambda tenant, cids: {
            c: p for c, p in returned.items() if c in cids})
        try:
            picks = complementary_products(order(outdoor, "#100", "c-ret", ["tent"]), limit=5)
        finally:
            picking._returned_sources.remove(source)
    assert not {"Down Bag", "Camp Stove"} & set(titles(picks))
    assert picks  # still something: the chain goes on


@pytest.mark.django_db
def test_pins_come_first_then_the_learned_complements(outdoor):
    with tenant_scope(outdoor):
        services.product_rules_replace(outdoor, "pin", ids("hat"))
        picks = complementary_products(order(outdoor, "#100", "new", ["tent"]), limit=3)
    assert titles(picks)[0] == "Wool Hat"
    assert set(titles(picks)[1:]) == {"Camp Stove", "Down Bag"}


@pytest.mark.django_db
def test_an_empty_store_gets_the_curated_fallback(personas):
    tenant = personas.tenant_b
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [product("a", "Alpha"), product("b", "Beta"),
                                                     product("c", "Gamma")])
        result = associations_recompute(tenant)  # no orders at all: nothing learned, no error
        assert result.associations == 0 and result.orders == 0
        services.product_rules_replace(tenant, "curated", ids("c", "a"))
        rows = recommendation_preview(product=picking.Product.objects.get(external_id="b"),
                                      limit=2)
    assert [(r.product.title, r.step) for r in rows] == [("Gamma", "curated"), ("Alpha", "curated")]


@pytest.mark.django_db
def test_a_store_with_nothing_learned_nor_curated_still_offers_its_catalog(personas):
    tenant = personas.tenant_b
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [product("tent", "Tent", "Tents"),
                                                     product("stove", "Stove", "Cooking")])
        assert titles(complementary_products(order(tenant, "#1", None, ["tent"]))) == ["Stove"]


@pytest.mark.django_db
def test_a_customers_history_changes_their_picks(outdoor):
    with tenant_scope(outdoor):
        # the same order (a mug: nothing learned goes with it), two shoppers
        order(outdoor, "#98", "hiker", ["jacket"], days_ago=60)
        hiker = complementary_products(order(outdoor, "#100", "hiker", ["mug"]), limit=2)
        newcomer = complementary_products(order(outdoor, "#101", "newcomer", ["mug"]), limit=2)
    assert set(titles(hiker)) == {"Gloves", "Wool Hat"}
    assert titles(hiker) != titles(newcomer)


@pytest.mark.django_db
def test_without_categories_the_data_tells_substitutes_from_complements(personas):
    # Given a catalog without categories: the same shoppers buy tea A and tea B, but never
    # in one order (they switch); tea goes with the teapot in one order
    tenant = personas.tenant_b
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [
            product("tea-a", "Tea A"), product("tea-b", "Tea B"), product("pot", "Teapot"),
            product("cup", "Cup")])
        n = 0
        for shopper in range(6):
            for basket in (["tea-a", "pot"], ["tea-b"], ["tea-b", "cup"]):
                n += 1
                order(tenant, f"#{n}", f"c-{shopper}", basket, days_ago=n)
        for shopper in range(6):  # and others buy only crockery
            n += 1
            order(tenant, f"#{n}", f"d-{shopper}", ["pot", "cup"], days_ago=n)
        associations_recompute(tenant)
        preview = recommendation_preview(product=picking.Product.objects.get(
            external_id="tea-a"), limit=3)
    steps = {row.product.title: row.step for row in preview}
    assert "Tea B" not in steps
    assert steps["Teapot"] == "complement"


@pytest.mark.django_db
def test_shown_and_never_clicked_sinks_a_product(outdoor):
    with tenant_scope(outdoor):
        placed = order(outdoor, "#100", "bored", ["tent"])
        before = titles(complementary_products(placed, limit=2))
        first = picking.Product.objects.get(title=before[0])
        services.recommendations_shown_record(outdoor, [
            picking.RecommendationShown(product=first, customer_id=placed.customer_id,
                                        surface="email", reference=str(n), shown_at=placed.placed_at)
            for n in range(3)])
        after = titles(complementary_products(placed, limit=2))
    assert after == [before[1], before[0]]


@pytest.mark.django_db
def test_pins_of_unknown_products_are_refused_by_id(outdoor, personas):
    with tenant_scope(personas.tenant_b):
        orders_services.product_upsert_many(personas.tenant_b, [product("b", "B")])
        theirs = ids("b")[0]
    with tenant_scope(outdoor):
        with pytest.raises(ValidationFailed) as refused:
            services.product_rules_replace(outdoor, "pin", [theirs, 10**9])
        assert refused.value.details == {"product_ids": [f"Unknown product: {theirs}.",
                                                         f"Unknown product: {10**9}."]}
        with pytest.raises(ValidationFailed):
            services.recommendation_settings_update(outdoor, {"email_limit": -1})


@pytest.mark.django_db
def test_associations_never_cross_tenants(outdoor, personas):
    tenant = personas.tenant_b
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [product("x", "X", "A"),
                                                     product("y", "Y", "B")])
        associations_recompute(tenant)
        picks = complementary_products(order(tenant, "#1", "c-1", ["x"]), limit=5)
    assert titles(picks) == ["Y"]
