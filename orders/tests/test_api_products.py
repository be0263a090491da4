"""POST /api/v1/products/: one product, or up to 1,000 in one request; GET lists them."""

import pytest

from orders.models import Product
from tenants.context import tenant_scope

from .api_support import (  # noqa: F401 - fixtures
    alice_api_fixture,
    carol_api_fixture,
    error_fields,
    product_body,
    read_only_api_fixture,
)

URL = "/api/v1/products/"


def products(tenant) -> dict[str, Product]:
    with tenant_scope(tenant):
        return {p.external_id: p for p in Product.objects.all()}


@pytest.mark.django_db
def test_one_product_is_created_then_updated_by_its_external_id(alice_api, personas):
    first = alice_api.post(URL, product_body(), format="json")
    second = alice_api.post(URL, product_body(price="17.50", in_stock=False), format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["price"] == "17.50" and second.json()["in_stock"] is False
    assert len(products(personas.tenant_a)) == 1


@pytest.mark.django_db
def test_a_batch_is_written_once_and_answered_with_counts(alice_api, personas):
    batch = [product_body(n) for n in range(1, 4)]
    first = alice_api.post(URL, batch, format="json")
    assert (first.status_code, first.json()) == (201, {"created": 3, "updated": 0})
    again = alice_api.post(URL, batch, format="json")
    assert (again.status_code, again.json()) == (200, {"created": 0, "updated": 3})
    assert sorted(products(personas.tenant_a)) == ["p-1", "p-2", "p-3"]


@pytest.mark.django_db
def test_a_batch_of_a_thousand_products_is_accepted(alice_api, personas):
    response = alice_api.post(URL, [product_body(n) for n in range(1000)], format="json")
    assert (response.status_code, response.json()["created"]) == (201, 1000)


@pytest.mark.django_db
def test_a_batch_of_1001_products_is_refused_whole(alice_api, personas):
    response = alice_api.post(URL, [product_body(n) for n in range(1001)], format="json")
    details = error_fields(response)
    assert "1,000" in details["non_field_errors"][0]
    assert products(personas.tenant_a) == {}


@pytest.mark.django_db
def test_an_empty_batch_is_refused(alice_api):
    assert "non_field_errors" in error_fields(alice_api.post(URL, [], format="json"))


@pytest.mark.django_db
def test_bad_items_in_a_batch_are_named_by_index_and_field_and_nothing_is_written(alice_api,
                                                                                  personas):
    batch = [product_body(1), product_body(2, price="cheap"), product_body(3, currency="euro"),
             product_body(4, tags="tent"), product_body(5, in_stock="maybe")]
    details = error_fields(alice_api.post(URL, batch, format="json"))
    assert set(details) == {"[1].price", "[2].currency", "[3].tags", "[4].in_stock"}
    assert products(personas.tenant_a) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, field", [
    ({"price": "-1.00"}, "price"), ({"currency": "eur"}, "currency"),
    ({"url": "not a url"}, "url"), ({"title": ""}, "title"),
    ({"content_links": [{"kind": "podcast", "title": "x", "url": "https://e.test/"}]},
     "content_links[0].kind"),
    ({"weight": "2kg"}, "weight"),
    ({"translations": {"German": {"title": "Zelt"}}}, "translations"),
    ({"translations": {"de": {"subtitle": "Zelt"}}}, "translations.de.subtitle"),
])
def test_bad_product_fields_are_named(alice_api, overrides, field):
    assert field in error_fields(alice_api.post(URL, product_body(**overrides), format="json"))


@pytest.mark.django_db
def test_a_product_keeps_its_texts_per_locale_for_shoppers_in_that_language(alice_api, personas):
    link = {"kind": "video", "title": "Pitching the tent", "url": "https://e.test/pitch"}
    german = {"title": "Trekkingzelt", "content_links": [{**link, "title": "Zelt aufbauen"}]}
    response = alice_api.post(URL, product_body(title="Trekking tent", content_links=[link],
                                                translations={"de": german}), format="json")
    assert response.json()["translations"] == {"de": german}
    product = products(personas.tenant_a)["p-1"]
    assert product.translation("de-AT") == product.translation("de") == german
    assert product.translation("fr") == product.translation(None) == {}


@pytest.mark.django_db
def test_a_product_without_a_price_is_refused(alice_api):
    body = product_body()
    del body["price"]
    assert error_fields(alice_api.post(URL, body, format="json")) == {
        "price": ["This field is required."]}


@pytest.mark.django_db
def test_a_read_only_key_cannot_write_products(read_only_api, personas):
    assert read_only_api.post(URL, [product_body()], format="json").status_code == 403
    assert products(personas.tenant_a) == {}


@pytest.mark.django_db
def test_products_are_filtered_and_paged(alice_api):
    alice_api.post(URL, [product_body(n, category="tents" if n < 3 else "stoves")
                         for n in range(5)], format="json")
    tents = alice_api.get(URL, {"category": "tents"}).json()["results"]
    assert sorted(p["external_id"] for p in tents) == ["p-0", "p-1", "p-2"]
    assert [p["sku"] for p in alice_api.get(URL, {"sku": "SKU-4"}).json()["results"]] == ["SKU-4"]
    page = alice_api.get(URL, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]


@pytest.mark.django_db
def test_one_product_is_shown_by_id_and_carol_sees_none(alice_api, carol_api):
    product_id = alice_api.post(URL, product_body(), format="json").json()["id"]
    assert alice_api.get(f"{URL}{product_id}/").json()["external_id"] == "p-1"
    assert carol_api.get(f"{URL}{product_id}/").status_code == 404
    assert carol_api.get(URL).json()["results"] == []


@pytest.mark.django_db
def test_listing_products_costs_a_fixed_number_of_queries(alice_api, django_assert_max_num_queries):
    alice_api.post(URL, [product_body(n) for n in range(20)], format="json")
    with django_assert_max_num_queries(2):  # the key, the page
        assert len(alice_api.get(URL).json()["results"]) == 20
