"""/api/v1/recommendations/…: settings, pins, category rules, preview, recompute and
attribution; bad input a clear 400, another store's ids a 404 or refused by id."""

import pytest

from orders import services as orders_services
from recommendations.learning import associations_recompute
from tenants.context import tenant_scope

from .store import ids, order, product

API = "/api/v1/recommendations"


@pytest.fixture
def alpha(personas, api_client):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [
            product("tent", "Trail Tent", "Tents"), product("stove", "Camp Stove", "Cooking"),
            product("bag", "Down Bag", "Sleeping"), product("hat", "Wool Hat", "Hats")])
        for n in range(3):
            order(tenant, f"#{n}", f"c-{n}", ["tent", "stove"])
        associations_recompute(tenant)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    return api_client


@pytest.mark.django_db
def test_settings_read_and_change_with_bounds(alpha):
    assert alpha.get(f"{API}/settings/").json()["email_limit"] == 3
    changed = alpha.patch(f"{API}/settings/", {"email_limit": 5}, format="json")
    assert changed.status_code == 200 and changed.json()["email_limit"] == 5
    for bad, field in (({"email_limit": -1}, "email_limit"), ({"colour": "red"}, "colour"),
                       ({"top_k": "5"}, "top_k")):
        refused = alpha.patch(f"{API}/settings/", bad, format="json")
        assert refused.status_code == 400
        assert set(refused.json()["error"]["details"]) == {field}


@pytest.mark.django_db
def test_pins_come_first_in_the_preview_with_their_reason(alpha, personas):
    with tenant_scope(personas.tenant_a):
        hat, tent = ids("hat", "tent")
    assert alpha.put(f"{API}/products/pinned/", {"product_ids": [hat]},
                     format="json").json() == {"product_ids": [hat]}
    preview = alpha.get(f"{API}/preview/", {"product": tent, "limit": 2}).json()["picks"]
    assert [(p["product"]["title"], p["rule"]) for p in preview] == [
        ("Wool Hat", "pinned"), ("Camp Stove", "complement")]
    assert preview[1]["because"][0]["title"] == "Trail Tent" and preview[1]["score"] > 0


@pytest.mark.django_db
def test_unknown_or_foreign_products_and_bad_queries_are_clear_errors(alpha, personas):
    with tenant_scope(personas.tenant_b):
        orders_services.product_upsert_many(personas.tenant_b, [product("x", "Theirs")])
        theirs = ids("x")[0]
    refused = alpha.put(f"{API}/products/pinned/", {"product_ids": [theirs]}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["details"]["product_ids"] == [f"Unknown product: {theirs}."]
    assert alpha.get(f"{API}/preview/", {"product": theirs}).status_code == 404
    assert alpha.get(f"{API}/preview/").status_code == 400
    assert alpha.get(f"{API}/preview/", {"product": 1, "limit": -2}).status_code == 400
    assert alpha.put(f"{API}/products/favourites/", {"product_ids": []},
                     format="json").status_code == 404  # no such list


@pytest.mark.django_db
def test_category_rules_recompute_and_attribution(alpha):
    rules = {"rules": [{"category": "Tents", "related_categories": ["Sleeping", "Cooking"]}]}
    assert alpha.put(f"{API}/category-rules/", rules, format="json").json() == rules
    assert alpha.get(f"{API}/category-rules/").json() == rules
    assert alpha.post(f"{API}/recompute/").status_code == 202
    attribution = alpha.get(f"{API}/attribution/", {"days": 7}).json()
    assert attribution["placements"] == [] and attribution["products"] == []


@pytest.mark.django_db
def test_a_store_without_orders_still_previews_its_curated_list(personas, api_client):
    tenant = personas.tenant_b
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [product("a", "Alpha"), product("b", "Beta")])
        a, b = ids("a", "b")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.carol_key}")
    assert api_client.post(f"{API}/recompute/").status_code == 202
    api_client.put(f"{API}/products/curated/", {"product_ids": [b]}, format="json")
    picks = api_client.get(f"{API}/preview/", {"product": a}).json()["picks"]
    assert [(p["product"]["title"], p["rule"]) for p in picks] == [("Beta", "curated")]
