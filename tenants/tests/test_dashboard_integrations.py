"""Settings → Integrations: webhook URLs, masked fields, blank secrets kept."""

import pytest
from django.conf import settings
from django.urls import reverse

from tenants import services
from tenants.context import tenant_scope
from tenants.credentials import CREDENTIAL_SPECS
from tenants.views.integrations import PROVIDERS

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:settings-integrations")
TWILIO = {"account_sid": "AC" + "a1" * 16, "auth_token": "f0" * 16, "from_number": "+14155550199"}


def test_every_provider_has_a_card():
    assert set(PROVIDERS) == set(CREDENTIAL_SPECS)


def test_the_page_shows_the_webhook_urls_to_paste(client, personas):
    client.force_login(personas.alice)
    body = client.get(URL).content.decode()
    base = settings.PUBLIC_BASE_URL
    for source in ("easypost", "aftership", "shopify", "sendgrid"):
        assert f"{base}/webhooks/{source}/alpha/" in body
    assert f"{base}/webhooks/twilio/alpha/status/" in body
    assert f"{base}/webhooks/twilio/alpha/inbound/" in body
    assert f"{base}/webhooks/shippo/alpha/?token=" in body


def test_saved_secrets_are_masked_and_never_sent_back(client, personas):
    with tenant_scope(personas.tenant_a):
        services.credential_set(personas.tenant_a, "twilio", TWILIO)
    client.force_login(personas.alice)
    body = client.get(URL).content.decode()
    assert TWILIO["auth_token"] not in body
    assert "••••••••f0f0" in body
    assert TWILIO["account_sid"] in body  # not a secret: shown so people can check it


def test_connecting_a_provider(client, personas):
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:integration-set", args=["twilio"]),
                           {f"twilio-{k}": v for k, v in TWILIO.items()})
    assert response.status_code == 302
    assert response["Location"].endswith("#twilio")
    with tenant_scope(personas.tenant_a):
        assert services.credential_fields(personas.tenant_a, "twilio") == TWILIO


def test_a_blank_secret_keeps_the_stored_one(client, personas):
    with tenant_scope(personas.tenant_a):
        services.credential_set(personas.tenant_a, "twilio", TWILIO)
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:integration-set", args=["twilio"]), {
        "twilio-account_sid": TWILIO["account_sid"], "twilio-auth_token": "",
        "twilio-from_number": "+14155550100"})
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        stored = services.credential_fields(personas.tenant_a, "twilio")
    assert stored["auth_token"] == TWILIO["auth_token"]
    assert stored["from_number"] == "+14155550100"


def test_a_bad_value_is_shown_next_to_its_field(client, personas):
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:integration-set", args=["sendgrid"]),
                           {"sendgrid-api_key": "not-a-key"})
    assert response.status_code == 200
    body = response.content.decode()
    field = body[body.index('id="field-sendgrid-api_key"'):]
    assert "SendGrid API keys look like SG.xxxx.yyyy." in field[:1500]
    with tenant_scope(personas.tenant_a):
        assert services.credential_fields(personas.tenant_a, "sendgrid") is None


def test_a_missing_required_field_is_shown_next_to_it(client, personas):
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:integration-set", args=["shopify"]),
                           {"shopify-shop_domain": "acme.myshopify.com", "shopify-webhook_secret": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    with tenant_scope(personas.tenant_a):
        assert services.credential_fields(personas.tenant_a, "shopify") is None


def test_easypost_takes_a_webhook_secret_an_api_key_or_both(client, personas):
    """Tracking needs the webhook secret, return labels the API key: either alone is fine."""
    client.force_login(personas.alice)
    url = reverse("dashboard:integration-set", args=["easypost"])
    response = client.post(url, {"easypost-webhook_secret": "", "easypost-api_key": ""})
    assert response.status_code == 200
    assert "Give the webhook secret, the API key, or both." in response.content.decode()
    response = client.post(url, {"easypost-api_key": "not-a-key"})
    assert "EasyPost API keys start with EZAK (production) or EZTK (test)." in response.content.decode()
    with tenant_scope(personas.tenant_a):
        assert services.credential_fields(personas.tenant_a, "easypost") is None
    response = client.post(url, {"easypost-api_key": "EZTK0123456789abcdefABCDEF"})
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        assert services.credential_fields(personas.tenant_a, "easypost") == {
            "api_key": "EZTK0123456789abcdefABCDEF"}


def test_disconnecting_deletes_the_secrets(client, personas):
    with tenant_scope(personas.tenant_a):
        services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": "s3cret"})
    client.force_login(personas.alice)
    response = client.post(reverse("dashboard:integration-remove", args=["easypost"]))
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        assert services.credential_fields(personas.tenant_a, "easypost") is None


def test_an_unknown_provider_is_a_404(client, personas):
    client.force_login(personas.alice)
    assert client.post(reverse("dashboard:integration-set", args=["fedex"])).status_code == 404
    assert client.post(reverse("dashboard:integration-remove", args=["fedex"])).status_code == 404


def test_an_agent_gets_a_403_for_integrations(client, personas):
    client.force_login(personas.bob)
    assert client.get(URL).status_code == 403
    response = client.post(reverse("dashboard:integration-set", args=["easypost"]),
                           {"easypost-webhook_secret": "x"})
    assert response.status_code == 403


def test_the_page_does_not_grow_queries_with_connections(
        client, personas, django_assert_max_num_queries):
    with tenant_scope(personas.tenant_a):
        services.credential_set(personas.tenant_a, "twilio", TWILIO)
        services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": "s3cret"})
        services.credential_set(personas.tenant_a, "shippo", {"webhook_token": "t0ken"})
    client.force_login(personas.alice)
    client.get(URL)
    with django_assert_max_num_queries(4):
        assert client.get(URL).status_code == 200
