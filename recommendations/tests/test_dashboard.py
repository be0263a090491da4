"""The Recommendations page: what was learned, what it earned, a preview with reasons."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services as orders_services
from recommendations.learning import associations_recompute
from recommendations.models import CategoryRule, ProductRule
from tenants.context import tenant_scope

from .store import ids, order, product


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


# --- the retailer's control -------------------------------------------------------------

SETTINGS = {"email_limit": 3, "tracking_page_limit": 3, "window_days": 365,
            "half_life_days": 90, "min_support": 2, "top_k": 20, "attribution_days": 7}


def audit(tenant, action: str):
    from tenants.models import AuditEntry

    with tenant_scope(tenant):
        return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def field_block(html: str, name: str) -> str:
    """The markup of one form field (partials/field.html: label, input, errors, help)."""
    start = html.index(f'id="field-{name}"')
    return html[start:html.index("</div>\n", start)]


@pytest.mark.django_db
def test_a_manager_sets_how_many_products_each_placement_shows(client, personas, learned):
    client.force_login(personas.alice)
    response = client.post("/recommendations/settings/",
                           {**SETTINGS, "email_limit": 5, "tracking_page_limit": 0})
    assert response.status_code == 302
    with tenant_scope(learned):
        from recommendations.learning import settings_get

        config = settings_get(learned)
        assert (config.email_limit, config.tracking_page_limit) == (5, 0)
    [entry] = audit(learned, "recommendations.settings_changed")
    assert entry.actor == "user:alice@alpha.test"
    assert entry.data == {"changes": {"email_limit": 5, "tracking_page_limit": 0}}
    html = client.get("/recommendations/").content.decode()
    assert "Settings saved." in html and 'value="5"' in field_block(html, "email_limit")


@pytest.mark.django_db
def test_a_negative_limit_is_said_next_to_its_field_and_nothing_is_saved(client, personas,
                                                                        learned):
    client.force_login(personas.alice)
    response = client.post("/recommendations/settings/",
                           {**SETTINGS, "email_limit": -1, "top_k": "many"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "greater than or equal to 0" in field_block(html, "email_limit")
    assert "Give a whole number." in field_block(html, "top_k")
    assert 'value="-1"' in field_block(html, "email_limit")  # what was typed, to correct
    assert audit(learned, "recommendations.settings_changed") == []


@pytest.mark.django_db
def test_pinned_products_are_named_by_sku_or_id_kept_in_order_and_audited(client, personas,
                                                                          learned):
    with tenant_scope(learned):
        tent, stove = ids("tent", "stove")
    client.force_login(personas.alice)
    response = client.post("/recommendations/products/pinned/",
                           {"pinned-products": f"stove\n{tent}, stove"})
    assert response.status_code == 302 and response["Location"].endswith("#list-pinned")
    with tenant_scope(learned):
        assert list(ProductRule.objects.filter(kind="pin").order_by("position").values_list(
            "product_id", flat=True)) == [stove, tent]
    [entry] = audit(learned, "recommendations.products_set")
    assert (entry.actor, entry.summary) == ("user:alice@alpha.test", "Set the pinned products (2)")
    html = client.get("/recommendations/").content.decode()
    assert "Pinned products saved (2)." in html
    log = client.get("/settings/audit-log/", {"action": "recommendations.products_set"})
    assert "Set the pinned products (2)" in log.content.decode()
    assert "Pinned, blocked and curated products" in log.content.decode()  # the filter's words


@pytest.mark.django_db
def test_an_unknown_product_is_named_and_the_list_is_left_as_it_was(client, personas, learned):
    client.force_login(personas.alice)
    client.post("/recommendations/products/blocked/", {"blocked-products": "stove"})
    response = client.post("/recommendations/products/blocked/",
                           {"blocked-products": "tent\nnope\n999999999"})
    html = response.content.decode()
    assert response.status_code == 400
    errors = field_block(html, "blocked-products")
    assert "No product “nope” in this store" in errors
    assert "No product “999999999” in this store" in errors
    assert "tent" not in errors.split("errorlist", 1)[1].split("</ul>")[0]
    with tenant_scope(learned):
        assert list(ProductRule.objects.filter(kind="block").values_list(
            "product__external_id", flat=True)) == ["stove"]
    assert len(audit(learned, "recommendations.products_set")) == 1


@pytest.mark.django_db
def test_a_blocked_product_leaves_the_preview(client, personas, learned):
    client.force_login(personas.alice)
    client.post("/recommendations/products/blocked/", {"blocked-products": "stove"})
    html = client.get("/recommendations/", {"product": "tent"}).content.decode()
    preview = html.split('id="table-preview"', 1)[1].split("</table>", 1)[0]
    assert "Camp Stove" not in preview


@pytest.mark.django_db
def test_category_rules_are_written_as_lines_and_mistakes_are_said_by_line(client, personas,
                                                                           learned):
    client.force_login(personas.alice)
    response = client.post("/recommendations/category-rules/",
                           {"rules": "Tents: Cooking\nCooking Tents\nCooking: Tentz"})
    html = response.content.decode()
    assert response.status_code == 400
    errors = field_block(html, "rules")
    assert "Line 2: write it as “Category: Other, Another”." in errors
    assert "No product is in the category “Tentz”." in errors
    response = client.post("/recommendations/category-rules/",
                           {"rules": "Tents: Cooking\n\n Cooking : Tents "})
    assert response.status_code == 302
    with tenant_scope(learned):
        assert dict(CategoryRule.objects.values_list("category", "related_categories")) == {
            "Cooking": ["Tents"], "Tents": ["Cooking"]}
    [entry] = audit(learned, "recommendations.category_rules_set")
    assert entry.data["rules"] == {"Cooking": ["Tents"], "Tents": ["Cooking"]}
    html = client.get("/recommendations/").content.decode()
    assert "Cooking: Tents\nTents: Cooking" in field_block(html, "rules")


@pytest.mark.django_db
def test_an_agent_sees_the_controls_disabled_and_cannot_change_them(client, personas, learned):
    client.force_login(personas.bob)  # an agent reads journeys, does not manage them
    html = client.get("/recommendations/").content.decode()
    assert "disabled" in field_block(html, "email_limit")
    assert "Save settings" not in html and "Save pinned products" not in html
    for path, data in (("/recommendations/settings/", {**SETTINGS, "email_limit": 9}),
                       ("/recommendations/products/pinned/", {"pinned-products": "tent"}),
                       ("/recommendations/category-rules/", {"rules": "Tents: Cooking"})):
        assert client.post(path, data).status_code == 403
    assert audit(learned, "recommendations.settings_changed") == []


@pytest.mark.django_db
def test_another_store_cannot_pin_this_stores_products(client, personas, learned):
    client.force_login(personas.carol)
    response = client.post("/recommendations/products/pinned/", {"pinned-products": "tent"})
    assert response.status_code == 400
    assert "No product “tent” in this store" in response.content.decode()
    with tenant_scope(personas.tenant_b):
        assert not ProductRule.objects.exists()


@pytest.mark.django_db
def test_every_control_has_a_label_and_a_submit_button_and_no_inline_script_or_style(
        client, personas, learned):
    client.force_login(personas.alice)
    html = client.get("/recommendations/").content.decode()
    main = html.split("<main", 1)[-1]
    assert "style=" not in main
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", main)
    assert not re.search(r"\bon[a-z]+=", main)  # no inline handlers
    assert "tabindex=" not in main  # the native order of the controls is the keyboard's
    controls = re.findall(r'<(?:input|textarea|select)\b[^>]*\bid="([^"]+)"', main)
    assert len(controls) >= 10
    for control in controls:
        assert f'for="{control}"' in main, control
    forms = re.findall(r"<form\b.*?</form>", main, re.S)
    assert all('type="submit"' in form for form in forms)
    assert len([f for f in forms if 'method="post"' in f]) == 6  # relearn, settings, 3 lists, rules
