"""Template editor: the live preview renders the draft (sample data or a real order), SMS
shows its segments; Save makes a new version or shows the error with its line; a test goes
to the signed-in person only; restoring copies an old version into a new one."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from messaging.models import Message, TemplateVersion
from messaging.tests.dashboard_support import make_template
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db

EMAIL_BODY = """<mj-section>
  <mj-column>
    <mj-text>Hello {{ customer.first_name }}, order {{ order.number }} is on its way.</mj-text>
  </mj-column>
</mj-section>"""


def draft(**overrides) -> dict:
    return {"locale": "en", "subject": "Shipped: {{ order.number }}", "preheader": "",
            "body": EMAIL_BODY, "text_body": "", **overrides}


def framed(client, body: str) -> str:
    """The e-mail the preview's frames show (served apart: messaging/dashboard/frames.py)."""
    frame = re.search(r'src="(/journeys/templates/preview/[^"]+/)"', body)
    assert frame is not None, "the preview shows no frame"
    return client.get(frame[1]).content.decode()


def test_the_preview_renders_the_draft_with_sample_data(client, personas):
    template = make_template(personas.tenant_a, channel="email")
    client.force_login(personas.alice)
    body = client.post(reverse("messaging:template-preview", args=[template.pk]),
                       draft(), HTTP_HX_REQUEST="true").content.decode()
    assert "Shipped: #1001" in body
    assert 'class="frame-desktop"' in body and 'class="frame-phone"' in body
    frame_url = re.search(r'src="(/journeys/templates/preview/[^"]+/)"', body).group(1)
    assert "Hello Sam, order #1001 is on its way." in framed(client, body)
    # The preview is the person's own: another member of the store does not get it.
    client.force_login(personas.bob)
    assert client.get(frame_url).status_code == 404


def test_the_preview_shows_an_error_with_its_line(client, personas):
    template = make_template(personas.tenant_a, channel="email")
    client.force_login(personas.alice)
    broken = EMAIL_BODY.replace("{{ order.number }}", "{{ order.number }")
    body = client.post(reverse("messaging:template-preview", args=[template.pk]),
                       draft(body=broken)).content.decode()
    assert "template-error" in body and "line 3" in body


def test_an_sms_preview_counts_segments_and_warns_past_one(client, personas):
    template = make_template(personas.tenant_a, channel="sms")
    client.force_login(personas.alice)
    url = reverse("messaging:template-preview", args=[template.pk])
    short = client.post(url, {"locale": "en", "body": "Hi {{ customer.first_name }}"}).content.decode()
    assert "1 segment" in short and "sms-warning" not in short
    long = client.post(url, {"locale": "en", "body": "Parcel news! " * 20}).content.decode()
    assert "2 segments" in long and 'id="sms-warning"' in long


def test_saving_makes_a_new_version_and_errors_stay_on_the_form(client, personas):
    template = make_template(personas.tenant_a, channel="email", versions=1)
    client.force_login(personas.alice)
    url = reverse("messaging:template", args=[template.pk]) + "?locale=en"

    assert client.post(url, draft()).status_code == 302
    with tenant_scope(personas.tenant_a):
        newest = TemplateVersion.objects.filter(template=template).order_by("-number").first()
    assert newest.number == 2 and newest.created_by == personas.alice

    refused = client.post(url, draft(body=EMAIL_BODY + "\n{% if %}"))
    assert refused.status_code == 400 and "line 6" in refused.content.decode()


def test_restoring_copies_an_old_version_into_a_new_one(client, personas):
    template = make_template(personas.tenant_a, channel="sms", versions=2)
    with tenant_scope(personas.tenant_a):
        first = TemplateVersion.objects.get(template=template, number=1)
    client.force_login(personas.alice)
    client.post(reverse("messaging:template-restore", args=[template.pk, first.pk]))
    with tenant_scope(personas.tenant_a):
        restored = TemplateVersion.objects.get(template=template, number=3)
    assert restored.body == first.body and restored.restored_from == 1
    page = client.get(reverse("messaging:template", args=[template.pk])).content.decode()
    assert "Restored from v1" in page


def test_a_test_send_goes_to_me_and_is_not_a_shoppers_message(client, personas):
    template = make_template(personas.tenant_a, channel="email")
    client.force_login(personas.alice)
    with tenant_scope(personas.tenant_a):
        before = Message.objects.count()
    response = client.post(reverse("messaging:template-test", args=[template.pk]), draft(),
                           HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response["HX-Retarget"] == "#flash"
    assert "dev outbox" in body or "alice@alpha.test" in body
    with tenant_scope(personas.tenant_a):
        assert Message.objects.count() == before


def test_an_agent_cannot_save_a_template(client, personas):
    template = make_template(personas.tenant_a, channel="sms")
    client.force_login(personas.bob)
    url = reverse("messaging:template", args=[template.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"locale": "en", "body": "x"}).status_code == 403


def test_the_preview_uses_a_real_order_when_one_is_chosen(client, personas):
    from datetime import UTC, datetime
    from decimal import Decimal

    from orders import services as order_services

    with tenant_scope(personas.tenant_a):
        order, _ = order_services.order_upsert(personas.tenant_a, order_services.OrderInput(
            external_id="real-1", number="#7781", currency="EUR",
            placed_at=datetime(2026, 11, 1, tzinfo=UTC),
            customer=order_services.CustomerInput(external_id="c-real", email="kim@example.test",
                                                  first_name="Kim"),
            lines=[order_services.LineInput(title="Tent", quantity=1,
                                            unit_price=Decimal("99"))]))
    template = make_template(personas.tenant_a, channel="email")
    client.force_login(personas.alice)
    page = client.get(reverse("messaging:template", args=[template.pk])).content.decode()
    assert f'value="{order.pk}">Order #7781' in page
    body = client.post(reverse("messaging:template-preview", args=[template.pk]),
                       {**draft(), "order": order.pk, "milestone": "shipped"}).content.decode()
    assert "Hello Kim, order #7781 is on its way." in framed(client, body)


def test_the_preview_shows_the_stores_own_brand_and_pictures_on_the_public_host(
        client, personas, settings, tmp_path):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from tenants.services import brand_get, brand_update

    settings.PUBLIC_BASE_URL, settings.MEDIA_ROOT = "https://doorstep.example", tmp_path
    with tenant_scope(personas.tenant_a):
        brand_update(personas.tenant_a, primary_color="#0E7C66")
    logo = io.BytesIO()
    Image.new("RGB", (120, 40), "white").save(logo, "PNG")
    with tenant_scope(personas.tenant_a):
        brand_get(personas.tenant_a).logo.save("alpha.png", ContentFile(logo.getvalue()))
    template = make_template(personas.tenant_a, channel="email")
    client.force_login(personas.alice)
    body = client.post(reverse("messaging:template-preview", args=[template.pk]),
                       draft(body=EMAIL_BODY + '<mj-image src="{{ line_items[0].image_url }}" />')
                       ).content.decode()
    body = framed(client, body)
    assert "#0E7C66" in body and "#1F6FEB" not in body  # not the placeholder brand's blue
    assert 'src="https://doorstep.example/media/logos/alpha' in html.unescape(body)
    assert 'src="https://doorstep.example/static/demo/products/tents.png"' in html.unescape(body)
