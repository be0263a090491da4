"""The Recommendations page: what was learned, what it earned, a preview with reasons."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services as orders_services
from recommendations.learning import associations_recompute
from tenants.context import tenant_scope

from .store import order, product


@pytest.fixture
def learned(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [
            product("tent", "Trail Tent", "Tents"), product("stove", "Camp Stove", "Cooking")])
        for n in range(3):
            order(tenant, f"#{n}", f"c-{n}", ["tent", "stove"])
        associations_recompute(tenant)
    return tenant


@pytest.mark.django_db
def test_the_page_previews_a_product_with_the_reason_and_no_inline_script_or_style(
        client, personas, learned):
    client.force_login(personas.alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/recommendations/", {"product": "tent"})
    html = response.content.decode()
    main = html.split("<main", 1)[-1]
    assert response.status_code == 200 and "Last learned" in html
    preview = html.split('id="table-preview"', 1)[1]
    assert "Camp Stove" in preview and "complement" in preview
    assert "style=" not in main
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", main)
    assert len(queries) <= 30


@pytest.mark.django_db
def test_an_unknown_order_is_said_in_words(client, personas, learned):
    client.force_login(personas.alice)
    html = client.get("/recommendations/", {"order": "#nope"}).content.decode()
    assert "No order #nope in this store." in html


@pytest.mark.django_db
def test_only_a_manager_relearns(client, personas, learned):
    client.force_login(personas.bob)  # an agent reads, does not manage
    assert client.get("/recommendations/").status_code == 200
    assert client.post("/recommendations/recompute/").status_code == 403
    client.force_login(personas.alice)
    assert client.post("/recommendations/recompute/").status_code == 302


@pytest.mark.django_db
def test_another_stores_products_are_not_previewed(client, personas, learned):
    client.force_login(personas.carol)
    html = client.get("/recommendations/", {"product": "tent"}).content.decode()
    assert "No product tent in this store." in html
