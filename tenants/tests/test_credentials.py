"""Tenant provider secrets: validated, encrypted at rest, never shown back in full."""

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from tenants import services
from tenants.context import tenant_scope
from tenants.models import Credential

SENDGRID_KEY = "SG.abcdefghijklmnop.qrstuvwxyz0123456789ABCD"
# SendGrid's published example verification key (shared/reference/wire-formats.md).
SENDGRID_PUBLIC_KEY = ("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3"
                       "GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==")
TWILIO = {"account_sid": "AC" + "a1" * 16, "auth_token": "f0" * 16, "from_number": "+14155550100"}


def auth(client, key):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.mark.django_db
def test_put_stores_credentials_encrypted_and_shows_them_masked(api_client, personas):
    response = auth(api_client, personas.alice_key).put(
        "/api/v1/credentials/sendgrid/",
        {"api_key": SENDGRID_KEY, "webhook_public_key": SENDGRID_PUBLIC_KEY}, format="json")
    assert response.status_code == 200, response.json()
    fields = response.json()["fields"]
    assert fields["api_key"] == {"set": True, "value": "••••••••ABCD"}
    assert fields["webhook_public_key"]["value"] == SENDGRID_PUBLIC_KEY  # public, not secret
    with tenant_scope(personas.tenant_a):
        row = Credential.objects.unscoped(reason="test").get(tenant=personas.tenant_a)
    assert SENDGRID_KEY not in row.ciphertext
    with tenant_scope(personas.tenant_a):
        assert services.credential_fields(personas.tenant_a, "sendgrid")["api_key"] == SENDGRID_KEY
    assert SENDGRID_KEY not in api_client.get("/api/v1/credentials/sendgrid/").content.decode()


@pytest.mark.django_db
def test_the_list_shows_every_provider_and_what_is_set(api_client, personas):
    auth(api_client, personas.alice_key).put("/api/v1/credentials/twilio/", TWILIO, format="json")
    listing = {c["name"]: c for c in api_client.get("/api/v1/credentials/").json()}
    assert set(listing) == {"sendgrid", "twilio", "easypost", "aftership", "shippo", "shopify"}
    assert listing["twilio"]["configured"] is True
    assert listing["twilio"]["fields"]["messaging_service_sid"] == {"set": False, "value": None}
    assert listing["easypost"]["configured"] is False


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "body", "bad_field"), [
    ("sendgrid", {"api_key": "nope"}, "api_key"),
    ("sendgrid", {"api_key": SENDGRID_KEY, "webhook_public_key": "aGVsbG8="}, "webhook_public_key"),
    ("sendgrid", {"api_key": SENDGRID_KEY, "apikey": "x"}, "apikey"),
    ("twilio", {"account_sid": "AC" + "a1" * 16, "auth_token": "f0" * 16}, "messaging_service_sid"),
    ("twilio", {**TWILIO, "from_number": "0151 1234"}, "from_number"),
    ("twilio", {**TWILIO, "auth_token": 1234}, "auth_token"),
    ("shopify", {"shop_domain": "acme.com", "webhook_secret": "s"}, "shop_domain"),
    ("shopify", {"shop_domain": "acme.myshopify.com"}, "webhook_secret"),
    ("easypost", {}, "webhook_secret"),
])
def test_bad_credentials_name_the_field_and_store_nothing(api_client, personas, name, body, bad_field):
    response = auth(api_client, personas.alice_key).put(f"/api/v1/credentials/{name}/", body, format="json")
    assert response.status_code == 400
    assert bad_field in response.json()["error"]["details"]
    with tenant_scope(personas.tenant_a):
        assert not Credential.objects.unscoped(reason="test").filter(tenant=personas.tenant_a).exists()


@pytest.mark.django_db
def test_an_unknown_provider_is_404(api_client, personas):
    response = auth(api_client, personas.alice_key).put("/api/v1/credentials/mailchimp/", {}, format="json")
    assert response.status_code == 404
    assert "sendgrid" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_patch_changes_one_field_and_keeps_the_others(api_client, personas):
    auth(api_client, personas.alice_key)
    api_client.put("/api/v1/credentials/shopify/", {
        "shop_domain": "alpha.myshopify.com", "webhook_secret": "new-secret-1"}, format="json")
    response = api_client.patch("/api/v1/credentials/shopify/",
                                {"previous_webhook_secret": "old-secret-0"}, format="json")
    assert response.status_code == 200
    with tenant_scope(personas.tenant_a):
        stored = services.credential_fields(personas.tenant_a, "shopify")
    assert stored == {"shop_domain": "alpha.myshopify.com", "webhook_secret": "new-secret-1",
                      "previous_webhook_secret": "old-secret-0"}


@pytest.mark.django_db
def test_delete_removes_credentials(api_client, personas):
    auth(api_client, personas.alice_key).put("/api/v1/credentials/easypost/",
                                             {"webhook_secret": "whsec"}, format="json")
    assert api_client.delete("/api/v1/credentials/easypost/").status_code == 204
    assert api_client.get("/api/v1/credentials/easypost/").status_code == 404
    assert api_client.delete("/api/v1/credentials/easypost/").status_code == 404


@pytest.mark.django_db
def test_keys_rotate_newest_encrypts_and_old_ones_still_decrypt(personas, settings):
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    settings.DOORSTEP_ENCRYPTION_KEYS = [old_key]
    with tenant_scope(personas.tenant_a):
        services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": "whsec-1"})
        row = Credential.objects.unscoped(reason="test").get(tenant=personas.tenant_a)

    with override_settings(DOORSTEP_ENCRYPTION_KEYS=[new_key, old_key]):
        with tenant_scope(personas.tenant_a):
            assert services.credential_fields(personas.tenant_a, "easypost") == {"webhook_secret": "whsec-1"}
        assert services.credentials_rotate() == 1
    with override_settings(DOORSTEP_ENCRYPTION_KEYS=[new_key]), tenant_scope(personas.tenant_a):
        assert services.credential_fields(personas.tenant_a, "easypost") == {"webhook_secret": "whsec-1"}
    with tenant_scope(row.tenant):
        row.refresh_from_db()
    assert Fernet(new_key.encode()).decrypt(row.ciphertext.encode())
