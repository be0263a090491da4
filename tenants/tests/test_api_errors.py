"""Bad input always gets the one error shape and the right status, never a 500."""

import pytest
from django.test import override_settings


def auth(client, key):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [b"{", b"{'single': 'quotes'}", b"\xff\xfe", b"[1, 2,]", b"nul"])
def test_malformed_json_is_400_malformed_body(api_client, personas, raw):
    response = auth(api_client, personas.alice_key).generic(
        "PATCH", "/api/v1/brand/", raw, content_type="application/json")
    assert_error(response, 400, "malformed_body")


@pytest.mark.django_db
def test_a_json_array_where_an_object_belongs_is_a_validation_error(api_client, personas):
    response = auth(api_client, personas.alice_key).patch("/api/v1/brand/", [1, 2], format="json")
    assert_error(response, 400, "validation_error")


@pytest.mark.django_db
def test_a_form_encoded_body_is_415(api_client, personas):
    response = auth(api_client, personas.alice_key).patch(
        "/api/v1/brand/", "primary_color=%23000000", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.django_db
@override_settings(API_MAX_BODY_BYTES=1000)
def test_an_oversized_body_is_413_and_nothing_changes(api_client, personas):
    body = '{"footer_text": "' + "x" * 2000 + '"}'
    response = auth(api_client, personas.alice_key).generic(
        "PATCH", "/api/v1/brand/", body, content_type="application/json")
    error = assert_error(response, 413, "payload_too_large")
    assert error["details"]["max_bytes"] == 1000
    assert api_client.get("/api/v1/brand/").json()["footer_text"] == ""


@pytest.mark.django_db
def test_an_unknown_method_is_405(api_client, personas):
    assert_error(auth(api_client, personas.alice_key).delete("/api/v1/tenant/"), 405,
                 "method_not_allowed")


@pytest.mark.django_db
def test_an_unknown_api_path_is_404_in_the_error_shape(api_client, personas):
    assert_error(auth(api_client, personas.alice_key).get("/api/v1/nothing-here/"), 404, "not_found")


@pytest.mark.django_db
@override_settings(API_RATE_LIMIT=3, API_RATE_WINDOW_SECONDS=60)
def test_a_key_over_its_rate_limit_gets_429_with_retry_after(api_client, personas):
    from django.core.cache import cache

    cache.clear()
    auth(api_client, personas.alice_key)
    statuses = [api_client.get("/api/v1/tenant/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api_client.get("/api/v1/tenant/")
    error = assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert error["details"]["retry_after_seconds"] == int(response["Retry-After"])
    # Another tenant's key has its own budget.
    assert auth(api_client, personas.carol_key).get("/api/v1/tenant/").status_code == 200


@pytest.mark.django_db
def test_an_unexpected_error_is_a_json_500_with_the_request_id(api_client, personas, monkeypatch):
    from tenants.api import views

    def explode(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.TenantDetailApi, "get", explode)
    response = auth(api_client, personas.alice_key).get("/api/v1/tenant/", HTTP_X_REQUEST_ID="req-42")
    error = assert_error(response, 500, "internal_error")
    assert error["details"]["request_id"] == "req-42"
    assert "boom" not in response.content.decode()
