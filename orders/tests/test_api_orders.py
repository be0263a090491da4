"""POST /api/v1/orders/ creates or updates by external id; GET lists with filters and a cursor."""

import pytest

from orders.models import Customer, LineItem, Order, OrderEvent
from tenants.context import tenant_scope

from .api_support import (  # noqa: F401 - fixtures
    alice_api_fixture,
    carol_api_fixture,
    error_fields,
    order_body,
    read_only_api_fixture,
    walk_pages,
)

URL = "/api/v1/orders/"


def count(tenant, model, **filters) -> int:
    with tenant_scope(tenant):
        return model.objects.filter(**filters).count()


@pytest.mark.django_db
def test_a_new_order_is_created_with_its_customer_and_lines(alice_api, personas):
    response = alice_api.post(URL, order_body(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "#1001" and body["source"] == "api"
    assert body["subtotal"] == "210.00" and body["total"] == "214.90"
    assert body["customer"]["email"] == "shopper1@example.test"
    assert [(line["position"], line["title"]) for line in body["lines"]] == [
        (1, "Trail tent"), (2, "Pegs")]
    with tenant_scope(personas.tenant_a):
        event = OrderEvent.objects.get()
    assert event.kind == "created" and event.actor.startswith("api:dsk_")


@pytest.mark.django_db
def test_posting_the_same_order_twice_keeps_one_order_and_answers_200(alice_api, personas):
    first = alice_api.post(URL, order_body(), format="json")
    second = alice_api.post(URL, order_body(), format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert count(personas.tenant_a, Order) == 1
    assert count(personas.tenant_a, LineItem) == 2
    assert count(personas.tenant_a, Customer) == 1
    assert count(personas.tenant_a, OrderEvent) == 1  # nothing changed, nothing recorded


@pytest.mark.django_db
def test_a_changed_order_is_updated_and_the_change_is_on_its_timeline(alice_api, personas):
    alice_api.post(URL, order_body(), format="json")
    response = alice_api.post(URL, order_body(fulfillment_status="fulfilled", lines=[
        {"title": "Trail tent", "quantity": 2, "unit_price": "199.00"}]), format="json")
    assert response.status_code == 200
    assert response.json()["fulfillment_status"] == "fulfilled"
    assert [line["quantity"] for line in response.json()["lines"]] == [2]
    with tenant_scope(personas.tenant_a):
        update = OrderEvent.objects.get(kind="updated")
    assert update.data["changed"] == ["fulfillment_status", "lines", "subtotal", "total"]


@pytest.mark.django_db
def test_validation_errors_name_each_bad_field_by_its_path(alice_api, personas):
    body = order_body(currency="eur", customer={"external_id": "c", "phone": "0151"})
    body["lines"][1]["quantity"] = "two"
    del body["placed_at"]
    details = error_fields(alice_api.post(URL, body, format="json"))
    assert set(details) == {"currency", "customer.phone", "lines[1].quantity", "placed_at"}
    assert "ISO 4217" in details["currency"][0]
    assert "E.164" in details["customer.phone"][0]
    assert details["lines[1].quantity"] == ["A valid integer is required."]
    assert details["placed_at"] == ["This field is required."]
    assert count(personas.tenant_a, Order) == 0


@pytest.mark.django_db
def test_unknown_fields_are_errors_at_any_depth(alice_api, personas):
    body = order_body(colour="red")
    assert error_fields(alice_api.post(URL, body, format="json")) == {"colour": ["Unknown field."]}
    body = order_body()
    body["lines"][0]["discount"] = "5.00"
    assert error_fields(alice_api.post(URL, body, format="json")) == {
        "lines[0].discount": ["Unknown field."]}
    assert count(personas.tenant_a, Order) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("field, value", [
    ("lines", []), ("placed_at", "yesterday"), ("total", "-1.00"), ("number", 1001 * [1]),
    ("financial_status", "stolen"), ("shipping_address", {"country_code": "Germany"}),
])
def test_wrong_values_are_refused_with_the_field_named(alice_api, field, value):
    details = error_fields(alice_api.post(URL, order_body(**{field: value}), format="json"))
    assert any(key.startswith(field) for key in details), details


@pytest.mark.django_db
def test_a_body_that_is_not_an_object_is_refused(alice_api):
    details = error_fields(alice_api.post(URL, [order_body()], format="json"))
    assert "non_field_errors" in details


@pytest.mark.django_db
def test_an_order_number_used_by_another_order_is_a_conflict(alice_api):
    alice_api.post(URL, order_body(1), format="json")
    alice_api.post(URL, order_body(2), format="json")
    response = alice_api.post(URL, order_body(2, number="#1001"), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"number": ["Already used by another order."]}


@pytest.mark.django_db
def test_a_read_only_key_reads_orders_but_cannot_write_them(read_only_api, alice_api, personas):
    response = read_only_api.post(URL, order_body(), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert count(personas.tenant_a, Order) == 0
    alice_api.post(URL, order_body(), format="json")
    assert read_only_api.get(URL).status_code == 200


@pytest.mark.django_db
def test_carol_does_not_see_alices_orders(alice_api, carol_api):
    alice_api.post(URL, order_body(), format="json")
    assert carol_api.get(URL).json()["results"] == []
    assert carol_api.get(URL, {"number": "#1001"}).json()["results"] == []


@pytest.fixture
def five_orders(alice_api):
    for n in range(1, 6):
        alice_api.post(URL, order_body(n, placed_at=f"2026-11-{10 + n}T09:00:00Z",
                                       financial_status="paid" if n % 2 else "refunded"),
                       format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("query, numbers", [
    ({"number": "#1002"}, ["#1002"]),
    ({"external_id": "ord-3"}, ["#1003"]),
    ({"customer_email": "SHOPPER4@example.test"}, ["#1004"]),
    ({"financial_status": "refunded"}, ["#1004", "#1002"]),
    ({"fulfillment_status": "fulfilled"}, []),
    ({"placed_after": "2026-11-14T00:00:00Z"}, ["#1005", "#1004"]),
    ({"placed_before": "2026-11-13T00:00:00Z"}, ["#1002", "#1001"]),
    ({"created_before": "2000-01-01T00:00:00Z"}, []),
    ({"number": ""}, ["#1005", "#1004", "#1003", "#1002", "#1001"]),
])
def test_the_order_list_filters(alice_api, five_orders, query, numbers):
    response = alice_api.get(URL, query)
    assert response.status_code == 200
    assert [order["number"] for order in response.json()["results"]] == numbers


@pytest.mark.django_db
def test_the_order_list_is_walked_page_by_page_with_a_cursor(alice_api, five_orders):
    first = alice_api.get(URL, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["previous"] is None and "cursor=" in first["next"]
    numbers = [order["number"] for order in walk_pages(alice_api, f"{URL}?page_size=2")]
    assert numbers == ["#1005", "#1004", "#1003", "#1002", "#1001"]


@pytest.mark.django_db
def test_a_page_size_over_the_maximum_is_capped(alice_api, five_orders, monkeypatch):
    from tenants.api.base import ApiCursorPagination

    monkeypatch.setattr(ApiCursorPagination, "max_page_size", 3)
    assert len(alice_api.get(URL, {"page_size": 1000}).json()["results"]) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("query, field", [
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"placed_after": "last tuesday"}, "placed_after"),
    ({"fulfillment_status": "lost"}, "fulfillment_status"),
    ({"numbr": "#1001"}, "numbr"),  # a misspelt filter must not return everything
])
def test_bad_list_parameters_are_400s_naming_the_parameter(alice_api, query, field):
    assert field in error_fields(alice_api.get(URL, query))


@pytest.mark.django_db
def test_listing_orders_costs_a_fixed_number_of_queries(alice_api, django_assert_max_num_queries):
    alice_api.post("/api/v1/products/", {"external_id": "p-tent", "title": "Trail tent",
                                         "price": "199.00", "currency": "EUR"}, format="json")
    linked = [{"title": "Trail tent", "quantity": 1, "unit_price": "199.00",
               "product_external_id": "p-tent"}]
    alice_api.post(URL, order_body(1, lines=linked), format="json")
    alice_api.get(URL)  # warm up: the key's "last used" is written at most once a minute
    with django_assert_max_num_queries(3) as captured:  # the key, orders + customers, lines
        alice_api.get(URL)
    one_order = len(captured)  # read now: the next request resets the connection's query log
    for n in range(2, 12):
        alice_api.post(URL, order_body(n, lines=linked), format="json")
    with django_assert_max_num_queries(one_order):
        response = alice_api.get(URL)
    assert len(response.json()["results"]) == 11
    assert response.json()["results"][0]["lines"][0]["product_external_id"] == "p-tent"

