"""Settings → Brand: fields, logo upload, errors next to fields, who may change it."""

import io

import pytest
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from tenants import services
from tenants.context import tenant_scope
from tenants.permissions import Role
from tenants.tests.factories import UserFactory, add_member

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:settings-brand")


def _image(fmt: str = "PNG", size=(120, 40), name: str = "logo.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    buffer.seek(0)
    buffer.name = name
    return buffer


def _form(**overrides) -> dict:
    data = {"primary_color": "#112233", "accent_color": "#445566", "font": "georgia",
            "sender_name": "Alpha Crew", "sender_email": "hello@alpha.test",
            "reply_to": "support@alpha.test", "sms_sender": "AlphaOut",
            "footer_text": "Alpha Outfitters, 1 Trail Road", "legal_text": "",
            "custom_tracking_domain": "", "social_instagram": "https://instagram.com/alpha"}
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def test_the_brand_page_shows_the_form_and_a_live_preview(client, personas):
    client.force_login(personas.alice)
    body = client.get(URL).content.decode()
    assert 'id="brand-preview"' in body and 'type="color"' in body
    assert 'id="font-stacks"' in body and "brand-preview.js" in body


def test_an_owner_saves_the_brand(client, personas):
    client.force_login(personas.alice)
    response = client.post(URL, _form())
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        brand = services.brand_get(personas.tenant_a)
    assert (brand.primary_color, brand.font, brand.sender_email) == (
        "#112233", "georgia", "hello@alpha.test")
    assert brand.social_links == {"instagram": "https://instagram.com/alpha"}


def test_a_logo_is_stored_under_a_fresh_name(client, personas):
    client.force_login(personas.alice)
    client.post(URL, {**_form(), "logo": _image()})
    with tenant_scope(personas.tenant_a):
        brand = services.brand_get(personas.tenant_a)
    assert brand.logo.name.startswith("logos/alpha-") and brand.logo.name.endswith(".png")
    client.post(URL, {**_form(), "remove_logo": "on"})
    with tenant_scope(personas.tenant_a):
        assert not services.brand_get(personas.tenant_a).logo


@pytest.mark.parametrize("upload, message", [
    (io.BytesIO(b"not an image at all"), "not an image we can read"),
    (_image("GIF", name="logo.gif"), "Use a PNG, JPEG or WebP image"),
])
def test_a_bad_logo_is_refused_next_to_the_field(client, personas, upload, message):
    upload.name = getattr(upload, "name", "logo.png")
    client.force_login(personas.alice)
    response = client.post(URL, {**_form(), "logo": upload})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["logo"])
    with tenant_scope(personas.tenant_a):
        assert not services.brand_get(personas.tenant_a).logo


@override_settings(MAX_LOGO_BYTES=1000)
def test_a_logo_over_the_size_limit_is_refused(client, personas):
    client.force_login(personas.alice)
    response = client.post(URL, {**_form(), "logo": _image(size=(600, 600))})
    assert "logos can be at most" in " ".join(response.context["form"].errors["logo"])


def test_a_colour_that_is_not_hex_is_refused(client, personas):
    client.force_login(personas.alice)
    response = client.post(URL, _form(primary_color="red"))
    assert response.status_code == 200
    assert response.context["form"].errors["primary_color"] == ["Use a colour like #1F6FEB."]


def test_a_tracking_domain_of_another_store_is_refused_next_to_the_field(client, personas):
    with tenant_scope(personas.tenant_b):
        services.brand_update(personas.tenant_b, custom_tracking_domain="track.shared.test")
    client.force_login(personas.alice)
    response = client.post(URL, _form(custom_tracking_domain="https://Track.Shared.test/"))
    assert response.status_code == 200
    assert response.context["form"].errors["custom_tracking_domain"]
    with tenant_scope(personas.tenant_a):
        assert services.brand_get(personas.tenant_a).custom_tracking_domain is None


def test_a_marketer_may_change_the_brand(client, personas):
    mia = UserFactory(email="mia@alpha.test")
    add_member(personas.tenant_a, mia, Role.MARKETER)
    client.force_login(mia)
    assert client.post(URL, _form()).status_code == 302


def test_an_agent_sees_the_brand_read_only_and_cannot_save_it(client, personas):
    client.force_login(personas.bob)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Save brand" not in response.content.decode()
    assert client.post(URL, _form()).status_code == 403
    with tenant_scope(personas.tenant_a):
        assert services.brand_get(personas.tenant_a).primary_color == "#1F6FEB"
