"""The operator admin reads orders data across tenants without tripping the scoping."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from orders import demo
from orders.models import Order

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
    demo.seed_demo()
    order = Order.objects.unscoped(reason="test").order_by("number").first()
    response = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    assert order.lines.first().title.encode() in response.content
