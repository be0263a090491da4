"""POST /api/v1/customers/ creates or updates by external id; GET lists and shows them."""

import pytest

from orders.models import Customer
from tenants.context import tenant_scope

from .api_support import (  # noqa: F401 - fixtures
    alice_api_fixture,
    carol_api_fixture,
    customer_body,
    error_fields,
    read_only_api_fixture,
)

URL = "/api/v1/customers/"


def customers(tenant) -> list[Customer]:
    with tenant_scope(tenant):
        return list(Customer.objects.all())


@pytest.mark.django_db
def test_a_new_customer_is_created_and_answered_with_201(alice_api, personas):
    response = alice_api.post(URL, customer_body(consents={"transactional_sms": True}),
                              format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "sam@example.test"  # stored lower-cased: one shopper, one address
    assert body["consents"]["transactional_sms"]["given"] is True
    assert body["consents"]["transactional_sms"]["source"] == "api"
    assert body["consents"]["transactional_sms"]["at"]
    assert body["consents"]["marketing_email"]["given"] is False


@pytest.mark.django_db
def test_posting_the_same_customer_twice_keeps_one_row_and_answers_200(alice_api, personas):
    first = alice_api.post(URL, customer_body(), format="json")
    second = alice_api.post(URL, customer_body(), format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert len(customers(personas.tenant_a)) == 1


@pytest.mark.django_db
def test_an_update_changes_what_is_sent_and_keeps_what_is_left_out(alice_api, personas):
    alice_api.post(URL, customer_body(), format="json")
    response = alice_api.post(URL, {"external_id": "cus-1", "last_name": "Doe"}, format="json")
    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Sam", "Doe")
    assert response.json()["phone"] == "+4915112345678"


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, field, words", [
    ({"phone": "0151 1234567"}, "phone", "E.164"),
    ({"email": "not-an-address"}, "email", "valid email"),
    ({"timezone": "Mars/Olympus"}, "timezone", "IANA"),
    ({"consents": {"carrier_pigeon": True}}, "consents", "Unknown channel"),
    ({"consents": {"marketing_email": "perhaps"}}, "consents.marketing_email", "valid boolean"),
    ({"first_name": ["Sam"]}, "first_name", "Not a valid string"),
    ({"nickname": "Sammy"}, "nickname", "Unknown field"),
    ({"external_id": ""}, "external_id", "blank"),
])
def test_bad_customer_fields_are_named_with_the_problem(alice_api, personas, overrides, field,
                                                        words):
    details = error_fields(alice_api.post(URL, customer_body(**overrides), format="json"))
    assert words in details[field][0]
    assert customers(personas.tenant_a) == []


@pytest.mark.django_db
def test_a_customer_without_an_external_id_is_refused(alice_api):
    body = customer_body()
    del body["external_id"]
    assert error_fields(alice_api.post(URL, body, format="json")) == {
        "external_id": ["This field is required."]}


@pytest.mark.django_db
def test_a_read_only_key_cannot_write_customers(read_only_api, personas):
    assert read_only_api.post(URL, customer_body(), format="json").status_code == 403
    assert customers(personas.tenant_a) == []


@pytest.mark.django_db
def test_customers_are_listed_and_filtered_by_email_and_creation_time(alice_api):
    alice_api.post(URL, customer_body(), format="json")
    alice_api.post(URL, customer_body(external_id="cus-2", email="kim@example.test"), format="json")
    assert [c["external_id"] for c in alice_api.get(URL).json()["results"]] == ["cus-2", "cus-1"]
    by_email = alice_api.get(URL, {"email": "SAM@example.test"}).json()["results"]
    assert [c["external_id"] for c in by_email] == ["cus-1"]
    assert alice_api.get(URL, {"created_after": "2999-01-01T00:00:00Z"}).json()["results"] == []


@pytest.mark.django_db
def test_one_customer_is_shown_by_id_and_carol_sees_none_of_them(alice_api, carol_api):
    customer_id = alice_api.post(URL, customer_body(), format="json").json()["id"]
    assert alice_api.get(f"{URL}{customer_id}/").json()["external_id"] == "cus-1"
    assert carol_api.get(f"{URL}{customer_id}/").status_code == 404
    assert carol_api.get(URL).json()["results"] == []


@pytest.mark.django_db
def test_listing_customers_costs_a_fixed_number_of_queries(alice_api, django_assert_max_num_queries):
    for n in range(10):
        alice_api.post(URL, customer_body(external_id=f"cus-{n}", email=f"s{n}@example.test"),
                       format="json")
    with django_assert_max_num_queries(2):  # the key, the page
        assert len(alice_api.get(URL).json()["results"]) == 10
