"""The operator admin reads orders data across tenants without tripping the scoping."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from orders import demo
from orders.models import LineItem, Order
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin = get_user_model().objects.create_superuser("ops", "ops@doorstep.test", "pw")
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", ["customer", "product", "order"])
def test_every_orders_changelist_renders(staff_client, model):
    demo.seed_demo()
    response = staff_client.get(reverse(f"admin:orders_{model}_changelist"))
    assert response.status_code == 200


def test_an_order_page_shows_its_lines(staff_client):
    tenant, _ = demo.seed_demo()
    with tenant_scope(tenant):
        order = Order.objects.order_by("number").first()
        line = LineItem.objects.filter(order=order).first()
    response = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    assert line.sku.encode() in response.content


def test_an_order_cannot_be_linked_to_another_tenants_customer(staff_client, personas):
    from orders import services
    from orders.models import Customer

    tenant, _ = demo.seed_demo()
    with tenant_scope(tenant):
        order = Order.objects.unscoped(reason="test").filter(tenant=tenant).order_by("number").first()
    with tenant_scope(personas.tenant_b):
        stranger = services.customer_create_many(
            personas.tenant_b, [Customer(external_id="beta-1")]).by_external_id["beta-1"]
    url = reverse("admin:orders_order_change", args=[order.pk])
    form = {"external_id": order.external_id, "number": order.number,
            "placed_at_0": order.placed_at.date().isoformat(), "placed_at_1": "12:00:00",
            "currency": "EUR", "subtotal": order.subtotal, "shipping": order.shipping,
            "tax": order.tax, "total": order.total, "shipping_address": "{}",
            "source": order.source, "financial_status": "refunded",
            "fulfillment_status": order.fulfillment_status,
            "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}

    refused = staff_client.post(url, {**form, "customer": stranger.pk})
    saved = staff_client.post(url, {**form, "customer": order.customer_id})

    assert refused.status_code == 200 and b"Select a valid choice" in refused.content
    assert saved.status_code == 302
    with tenant_scope(order.tenant):
        order.refresh_from_db()
    assert order.financial_status == "refunded"
