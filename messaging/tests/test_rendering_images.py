"""Pictures in an e-mail load where it is read: every image URL is absolute, on the host of
PUBLIC_BASE_URL for our own files (the store's logo, the demo's product pictures)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from messaging.rendering import context_for, default_templates_install, render_message
from messaging.rendering.versions import template_version_current
from messaging.tests.factories import make_message, make_order, make_shipment
from orders.models import Product
from orders.selectors import product_demo_picture
from tenants.context import tenant_scope
from tenants.services import brand_get

pytestmark = pytest.mark.django_db

BASE = "https://doorstep.example:8443"
IMAGE_SRC = re.compile(r'<img[^>]*\ssrc="([^"]*)"')


def png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "#2F5D50").save(buffer, "PNG")
    return ContentFile(buffer.getvalue())


@pytest.fixture
def store(personas, settings, tmp_path):
    """A store with an uploaded logo whose products are pictured by the demo's own files
    (paths on this site, as the demo seed stores them)."""
    settings.PUBLIC_BASE_URL = BASE
    settings.MEDIA_ROOT = tmp_path
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        brand = brand_get(tenant)
        brand.logo.save("alpha.png", png(), save=True)
    order = make_order(tenant)
    with tenant_scope(tenant):
        for product in Product.objects.all():
            product.image_url = product_demo_picture(product.category)
            product.save(update_fields=["image_url"])
    return tenant, order


def test_every_image_of_a_sent_email_is_absolute_on_the_public_host(store):
    tenant, order = store
    shipment = make_shipment(tenant, order)
    with tenant_scope(tenant):
        installed = default_templates_install(tenant)
    for milestone in ("shipped", "delivered", "order_confirmed"):
        message = make_message(tenant, shipment=shipment, milestone=milestone)
        with tenant_scope(tenant):
            context = context_for(tenant, milestone=milestone, shipment=shipment, message=message)
        with tenant_scope(tenant):
            html = render_message(template_version_current(installed[f"{milestone}-email"], "en"),
                                  context, message=message).html
        sources = IMAGE_SRC.findall(html)
        assert [src for src in sources if not src.startswith(f"{BASE}/")] == [], milestone
        assert f"{BASE}/media/logos/alpha" in html
        if milestone != "shipped":  # the shipped e-mail lists no items
            assert f'src="{BASE}/static/demo/products/tents.png"' in html
            assert f'src="{BASE}/static/demo/products/sleeping.png"' in html


def test_the_context_makes_site_paths_absolute_and_leaves_other_hosts_alone(store):
    tenant, order = store
    with tenant_scope(tenant):
        Product.objects.filter(category="Sleeping").update(
            image_url="https://cdn.example.com/mat.jpg")
        context = context_for(tenant, milestone="delivered", order=order)
    assert [line["image_url"] for line in context["line_items"]] == [
        f"{BASE}/static/demo/products/tents.png", "https://cdn.example.com/mat.jpg"]
    assert context["brand"]["logo_url"].startswith(f"{BASE}/media/logos/alpha")
