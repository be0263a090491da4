"""The brand's ways for a shopper to get help (support e-mail, phone, help page): set in
Settings → Brand (with the preview) or through the API, refused in words when malformed.
The tracking page shows them: tracking/tests/test_tracking_page_brand_help.py."""

import pytest
from django.urls import reverse

from tenants import services
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:settings-brand")
FORM = {"primary_color": "#112233", "accent_color": "#445566", "font": "system",
        "sender_name": "Alpha Crew", "sender_email": "", "reply_to": "", "sms_sender": "",
        "footer_text": "", "legal_text": "", "custom_tracking_domain": ""}


def test_an_owner_sets_how_shoppers_reach_the_shop(client, personas):
    client.force_login(personas.alice)
    response = client.post(URL, {**FORM, "support_email": "help@alpha.test",
                                 "support_phone": "+49 30 1234567",
                                 "help_url": "alpha.example/help"})
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        brand = services.brand_get(personas.tenant_a)
    assert (brand.support_email, brand.support_phone, brand.help_url) == (
        "help@alpha.test", "+49 30 1234567", "https://alpha.example/help")
    body = client.get(URL).content.decode()
    assert 'value="help@alpha.test"' in body and 'value="+49 30 1234567"' in body
    assert "data-preview-help" in body and "data-preview-help hidden" not in body


def test_the_preview_hides_the_help_block_until_something_is_set(client, personas):
    client.force_login(personas.alice)
    assert "data-preview-help hidden" in client.get(URL).content.decode()


@pytest.mark.parametrize(("field", "value", "words"), [
    ("support_email", "not-an-address", "valid email"),
    ("support_phone", "call us", "Use a phone number shoppers can dial"),
    ("help_url", "javascript:alert(1)", "valid URL"),
])
def test_a_malformed_contact_is_refused_next_to_its_field(client, personas, field, value, words):
    client.force_login(personas.alice)
    response = client.post(URL, {**FORM, field: value})
    assert response.status_code == 200
    assert words in response.content.decode()
    with tenant_scope(personas.tenant_a):
        assert getattr(services.brand_get(personas.tenant_a), field) == ""


def test_the_api_reads_and_writes_them(api_client, personas):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    response = api_client.patch("/api/v1/brand/", {
        "support_email": "help@alpha.test", "support_phone": "+1 415 555 0100",
        "help_url": "https://alpha.example/faq"}, format="json")
    assert response.status_code == 200, response.content
    body = api_client.get("/api/v1/brand/").json()
    assert (body["support_email"], body["support_phone"], body["help_url"]) == (
        "help@alpha.test", "+1 415 555 0100", "https://alpha.example/faq")
    response = api_client.patch("/api/v1/brand/", {"support_phone": "ring ring"}, format="json")
    assert response.status_code == 400
    assert "support_phone" in response.json()["error"]["details"]

