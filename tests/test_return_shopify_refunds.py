"""Shopify's refunds/create (signed as Shopify signs, through the one webhook edge) marks the
matching return refunded: matched by order and lines, once however often it arrives; a refund
of an order we do not have is kept and changes nothing; a bad body is a 400, kept."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import LineItem
from returns import services
from returns.models import ReturnRequest, ReturnStatus
from returns.tests.factories import make_order, make_policy, make_request
from tenants.context import tenant_scope
from tenants.models import InboundWebhook
from tracking.tests.test_shopify_webhook import alpha, connect, deliver, rows  # noqa: F401

pytestmark = pytest.mark.django_db


def refund_body(order, line: LineItem, quantity: int, *, refund_id: int = 509562969,
                amount: str = "129.00") -> bytes:
    """A Refund resource as Shopify's refunds/create sends it (REST shape, top level)."""
    assert line.product is not None
    return json.dumps({
        "id": refund_id, "order_id": int(order.external_id.split("-")[1]),
        "created_at": (timezone.now() - timedelta(minutes=5)).isoformat(), "note": "Returned",
        "restock": True, "user_id": 548380009, "processed_at": timezone.now().isoformat(),
        "refund_line_items": [{
            "id": 104689539, "line_item_id": 703073504, "quantity": quantity,
            "restock_type": "return", "subtotal": amount, "total_tax": "0.00",
            "line_item": {"id": 703073504, "product_id": int(line.product.external_id.split("-")[1]),
                          "sku": line.sku, "title": line.title, "quantity": line.quantity,
                          "price": str(line.unit_price)}}],
        "transactions": [{"id": 179259969, "order_id": 1, "kind": "refund", "status": "success",
                          "amount": amount, "currency": "EUR", "gateway": "bogus"}],
    }).encode()


@pytest.fixture
def received(alpha):  # noqa: F811
    """A refund return of Alpha's jacket, received; the order's external id is numeric, as
    Shopify's are."""
    make_policy(alpha)
    order = make_order(alpha, delivered_at=timezone.now() - timedelta(days=2))
    with tenant_scope(alpha):
        number = order.external_id.split("-")[1]
        type(order).objects.filter(pk=order.pk).update(external_id=number)
        order.external_id = f"o-{number}"
        for line in order.lines.select_related("product"):
            line.product.external_id = f"p-{line.product.external_id.split('-')[1]}"
    request = make_request(alpha, order, now=timezone.now() - timedelta(days=1))
    with tenant_scope(alpha):
        services.return_receive(alpha, request.pk)
        line = order.lines.select_related("product").order_by("position")[0]
        type(line.product).objects.filter(pk=line.product_id).update(
            external_id=line.product.external_id.split("-")[1])
        line.product.refresh_from_db()
        line.product.external_id = f"p-{line.product.external_id}"
    return order, line, request


def state(tenant, request) -> ReturnRequest:
    with tenant_scope(tenant):
        return ReturnRequest.objects.get(pk=request.pk)


def test_a_shopify_refund_marks_the_matching_return_refunded_once(alpha, received, deliver):  # noqa: F811
    order, line, request = received
    body = refund_body(order, line, 1)
    response = deliver(body, "refunds/create")
    assert response.status_code == 200
    done = state(alpha, request)
    assert done.status == ReturnStatus.REFUNDED
    assert (done.settled_amount, done.settled_reference) == (129, "shopify-refund:509562969")
    # The same refund again (a replay, a second delivery id): nothing more.
    assert deliver(body, "refunds/create").status_code == 200
    assert state(alpha, request).settled_at == done.settled_at
    inbound = sorted(rows(InboundWebhook, alpha, source="shopify"), key=lambda r: r.pk)
    assert [r.status for r in inbound] == ["processed", "processed"]
    assert [r.events_created for r in inbound] == [1, 0]


def test_a_refund_of_other_lines_leaves_the_return_alone(alpha, received, deliver):  # noqa: F811
    order, line, request = received
    with tenant_scope(alpha):
        socks = order.lines.select_related("product").order_by("position")[1]
        socks.product.external_id = f"p-{socks.product.external_id.split('-')[1]}"
        type(socks.product).objects.filter(pk=socks.product_id).update(
            external_id=socks.product.external_id.split("-")[1])
    deliver(refund_body(order, socks, 2, amount="25.00"), "refunds/create")
    assert state(alpha, request).status == ReturnStatus.RECEIVED


def test_a_refund_of_an_order_we_do_not_have_is_kept_and_changes_nothing(alpha, received, deliver):  # noqa: F811
    order, line, request = received
    body = json.loads(refund_body(order, line, 1))
    body["order_id"] = 999999999
    assert deliver(json.dumps(body).encode(), "refunds/create").status_code == 200
    assert state(alpha, request).status == ReturnStatus.RECEIVED
    assert [r.status for r in rows(InboundWebhook, alpha, source="shopify")] == ["processed"]


def test_a_refund_before_the_parcel_arrived_is_noted_not_settled(alpha, deliver):  # noqa: F811
    make_policy(alpha)
    order = make_order(alpha, delivered_at=timezone.now() - timedelta(days=2))
    with tenant_scope(alpha):
        type(order).objects.filter(pk=order.pk).update(external_id=order.external_id.split("-")[1])
        line = order.lines.select_related("product").order_by("position")[0]
        type(line.product).objects.filter(pk=line.product_id).update(
            external_id=line.product.external_id.split("-")[1])
    request = make_request(alpha, order, now=timezone.now() - timedelta(days=1))
    body = refund_body(order, line, 1)
    deliver(body, "refunds/create")
    deliver(body, "refunds/create")
    assert state(alpha, request).status == ReturnStatus.APPROVED
    with tenant_scope(alpha):
        notes = request.events.filter(data__reference="shopify-refund:509562969")
        assert [e.public for e in notes] == [False]


def test_an_unreadable_refund_is_a_400_and_kept(alpha, deliver):  # noqa: F811
    response = deliver(b'{"id": 1}', "refunds/create")
    assert response.status_code == 400
    assert [r.status for r in rows(InboundWebhook, alpha, source="shopify")] == ["invalid"]
