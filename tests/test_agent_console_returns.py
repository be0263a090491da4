"""The agent console and returns: orders found by a return number, open returns flagged, the
return's steps on the order's timeline, and a return started by an agent on the shopper's
behalf (judged by the store's policy, recorded as the agent's)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.search import order_search
from returns.models import CreatedVia, ReturnRequest
from returns.tests.factories import make_order, make_policy, make_request
from tenants.context import tenant_scope
from tenants.permissions import Role
from tenants.tests.factories import UserFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(personas):
    make_policy(personas.tenant_a, window_days=30)
    return make_order(personas.tenant_a, delivered_at=timezone.now() - timedelta(days=3))


def test_an_order_is_found_by_its_return_number_and_shows_the_open_return(personas, delivered):
    request = make_request(personas.tenant_a, delivered, now=timezone.now())
    with tenant_scope(personas.tenant_a):
        for typed in (request.number, request.number.lower()):
            results = order_search(personas.tenant_a, typed)
            assert [r.order.pk for r in results] == [delivered.pk]
            assert results[0].matched == "Return number"
    labels = [f.label for f in results[0].flags]
    assert any(label.startswith(f"Return {request.number}") for label in labels)


def test_another_tenants_return_number_finds_nothing(personas, delivered):
    request = make_request(personas.tenant_a, delivered, now=timezone.now())
    with tenant_scope(personas.tenant_b):
        assert order_search(personas.tenant_b, request.number) == []


def test_an_agent_starts_a_return_for_the_shopper(client, personas, delivered):
    client.force_login(personas.bob)
    with tenant_scope(personas.tenant_a):
        jacket = delivered.lines.order_by("position")[0]
    page = client.get(reverse("orders:detail", args=[delivered.pk])).content.decode()
    assert "Start a return for the shopper" in page
    response = client.post(reverse("returns-console:start", args=[delivered.pk]), {
        f"quantity_{jacket.pk}": "1", f"reason_{jacket.pk}": "damaged", "resolution": "refund",
        "method": "self_ship", "comment": "Zip broken, said on the phone"})
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        created = ReturnRequest.objects.get(order=delivered)
    assert created.created_via == CreatedVia.AGENT and created.created_by == "user:bob@alpha.test"
    page = client.get(reverse("orders:detail", args=[delivered.pk]), {"kind": "return"})
    assert f"Return {created.number}: Requested" in page.content.decode()


def test_a_refused_return_says_why(client, personas, delivered):
    client.force_login(personas.bob)
    response = client.post(reverse("returns-console:start", args=[delivered.pk]),
                           {"resolution": "refund", "method": "self_ship"}, follow=True)
    assert "Choose at least one item to return." in response.content.decode()


def test_a_viewer_cannot_start_a_return(client, personas, delivered):
    viewer = UserFactory(email="vera@alpha.test", username="vera")
    add_member(personas.tenant_a, viewer, Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("orders:detail", args=[delivered.pk])).content.decode()
    assert "Start a return for the shopper" not in page
    assert client.post(reverse("returns-console:start", args=[delivered.pk]),
                       {"resolution": "refund"}).status_code == 403
