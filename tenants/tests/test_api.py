"""The API foundation: key authentication, scopes, the tenant and brand endpoints."""

import pytest

from tenants import services
from tenants.context import tenant_scope
from tenants.models import ApiKey
from tenants.permissions import ApiKeyScope


def auth(client, key):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.mark.django_db
def test_a_key_reads_its_own_tenant(api_client, personas):
    response = auth(api_client, personas.alice_key).get("/api/v1/tenant/")
    assert response.status_code == 200
    assert response.json()["slug"] == "alpha"
    assert response.json()["name"] == "Alpha Outfitters"


@pytest.mark.django_db
def test_another_key_reads_another_tenant(api_client, personas):
    assert auth(api_client, personas.carol_key).get("/api/v1/tenant/").json()["slug"] == "beta"


@pytest.mark.django_db
def test_the_raw_key_is_not_stored(personas):
    with tenant_scope(personas.tenant_a):
        stored = ApiKey.objects.unscoped(reason="test").get(tenant=personas.tenant_a)
    assert personas.alice_key not in {stored.key_hash, stored.prefix, stored.name}
    assert personas.alice_key.startswith(stored.prefix)


@pytest.mark.django_db
def test_using_a_key_records_when_it_was_last_used(api_client, personas):
    auth(api_client, personas.alice_key).get("/api/v1/tenant/")
    with tenant_scope(personas.tenant_a):
        assert ApiKey.objects.unscoped(reason="test").get(tenant=personas.tenant_a).last_used_at


@pytest.mark.django_db
def test_a_revoked_key_is_refused(api_client, personas):
    with tenant_scope(personas.tenant_a):
        key = ApiKey.objects.unscoped(reason="test").get(tenant=personas.tenant_a)
        services.api_key_revoke(personas.tenant_a, key.pk, actor=personas.alice)
    response = auth(api_client, personas.alice_key).get("/api/v1/tenant/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_a_suspended_tenants_key_is_refused(api_client, personas):
    personas.tenant_a.status = "suspended"
    personas.tenant_a.save()
    assert auth(api_client, personas.alice_key).get("/api/v1/tenant/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("header", [
    "Bearer", "Bearer dsk_nope", "Token abc", "Bearer dsk_a dsk_b", "Basic YWxpY2U6cHc=",
    "Bearer not-a-doorstep-key",
])
def test_malformed_or_unknown_keys_get_401_in_the_error_shape(api_client, personas, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get("/api/v1/tenant/")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}


@pytest.mark.django_db
def test_no_key_gets_401_saying_how_to_authenticate(api_client, personas):
    response = api_client.get("/api/v1/tenant/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert "Bearer" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_a_read_key_reads_but_cannot_write(api_client, personas):
    with tenant_scope(personas.tenant_a):
        _, read_key = services.api_key_create(personas.tenant_a, name="BI", scope=ApiKeyScope.READ)
    auth(api_client, read_key)
    assert api_client.get("/api/v1/brand/").status_code == 200
    response = api_client.patch("/api/v1/brand/", {"primary_color": "#000000"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_the_brand_can_be_read_and_changed(api_client, personas):
    auth(api_client, personas.alice_key)
    response = api_client.patch("/api/v1/brand/", {
        "primary_color": "#112233", "sender_name": "Alpha", "social_links": {
            "instagram": "https://instagram.com/alpha"},
        "custom_tracking_domain": "Track.Alpha.Example."}, format="json")
    assert response.status_code == 200, response.json()
    body = api_client.get("/api/v1/brand/").json()
    assert body["primary_color"] == "#112233"
    assert body["custom_tracking_domain"] == "track.alpha.example"
    assert body["social_links"] == {"instagram": "https://instagram.com/alpha"}
    assert body["logo_url"] is None


@pytest.mark.django_db
def test_a_tracking_domain_belongs_to_one_tenant_only(api_client, personas):
    auth(api_client, personas.alice_key).patch(
        "/api/v1/brand/", {"custom_tracking_domain": "track.shared.example"}, format="json")
    response = auth(api_client, personas.carol_key).patch(
        "/api/v1/brand/", {"custom_tracking_domain": "track.shared.example"}, format="json")
    assert response.status_code == 400
    assert "custom_tracking_domain" in response.json()["error"]["details"]


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "field"), [
    ({"primary_color": "blue"}, "primary_color"),
    ({"primary_color": 12}, "primary_color"),
    ({"font": "comic-sans"}, "font"),
    ({"sender_email": "not-an-address"}, "sender_email"),
    ({"sms_sender": "+12"}, "sms_sender"),
    ({"social_links": {"myspace": "https://myspace.com/x"}}, "social_links"),
    ({"social_links": {"instagram": "javascript:alert(1)"}}, "social_links"),
    ({"social_links": ["https://x.com"]}, "social_links"),
    ({"custom_tracking_domain": "not a domain"}, "custom_tracking_domain"),
    ({"colour": "#000000"}, "colour"),
    ({"logo_url": "https://evil.example/logo.png"}, "logo_url"),
])
def test_bad_brand_fields_are_named(api_client, personas, body, field):
    response = auth(api_client, personas.alice_key).patch("/api/v1/brand/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]


@pytest.mark.django_db
def test_the_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert "/api/v1/tenant/" in document["paths"]
    assert "/api/v1/credentials/{name}/" in document["paths"]
    assert document["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"redoc" in docs.content.lower()
