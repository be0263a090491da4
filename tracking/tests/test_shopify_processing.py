"""Shopify deliveries out of order, repeated and replayed: the result depends on what Shopify
said, not on the order it arrived in; a fulfillment waits for its order; redaction erases."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders import services as order_services
from orders.models import Customer, Order, OrderEvent, Product
from tenants.context import tenant_scope
from tenants.inbound import inbound_replay
from tenants.models import InboundWebhook
from tracking import services
from tracking.models import Shipment, ShipmentItem
from tracking.shopify.fulfillments import WAITING_PREFIX
from tracking.tasks import tracking_sweep

from .test_shopify_fixtures import shipments
from .test_shopify_webhook import alpha, committed, deliver, fixture_bytes, last_inbound, rows  # noqa: F401

__all__ = ["alpha", "committed", "deliver"]

Status = InboundWebhook.Status


def order_row(tenant) -> Order:
    with tenant_scope(tenant):
        return Order.objects.get()


@pytest.mark.django_db
def test_orders_updated_before_orders_create_keeps_the_newer_state(deliver, alpha):
    assert deliver("orders_updated.json", "orders/updated").status_code == 200
    assert deliver("orders_create.json", "orders/create").status_code == 200
    assert last_inbound(alpha).status == Status.PROCESSED
    order = order_row(alpha)
    assert order.fulfillment_status == Order.FulfillmentStatus.PARTIALLY_FULFILLED
    with tenant_scope(alpha):
        assert list(order.events.exclude(kind="message").values_list("kind", flat=True)) == [
            "created", "shipment_created"]
    assert shipments(alpha) == [("UPS", "1Z2345", "#1001", [("IPod Nano - 8gb", 1)])]


@pytest.mark.django_db
def test_an_older_orders_updated_arriving_late_does_not_undo_a_newer_one(deliver, alpha):
    newer = json.loads(fixture_bytes("orders_updated.json"))
    newer.update(updated_at="2024-05-03T08:00:00-04:00", cancelled_at="2024-05-03T08:00:00-04:00",
                 financial_status="refunded")
    assert deliver(json.dumps(newer).encode(), "orders/updated").status_code == 200
    assert deliver("orders_updated.json", "orders/updated").status_code == 200  # of 05-02

    assert last_inbound(alpha).status == Status.PROCESSED
    order = order_row(alpha)
    assert order.fulfillment_status == Order.FulfillmentStatus.CANCELLED
    assert order.financial_status == Order.FinancialStatus.REFUNDED
    assert order.source_updated_at.isoformat() == "2024-05-03T12:00:00+00:00"
    with tenant_scope(alpha):
        assert not order.events.filter(kind=OrderEvent.Kind.UPDATED).exists()


@pytest.mark.django_db
def test_a_newer_orders_updated_is_applied_and_noted_on_the_timeline(deliver, alpha):
    assert deliver("orders_updated.json", "orders/updated").status_code == 200
    newer = json.loads(fixture_bytes("orders_updated.json"))
    newer.update(updated_at="2024-05-03T08:00:00-04:00", financial_status="refunded")
    assert deliver(json.dumps(newer).encode(), "orders/updated").status_code == 200

    order = order_row(alpha)
    assert order.financial_status == Order.FinancialStatus.REFUNDED
    with tenant_scope(alpha):
        assert list(order.events.filter(kind=OrderEvent.Kind.UPDATED).values_list(
            "summary", flat=True)) == ["Order #1001 updated: financial_status"]


@pytest.mark.django_db
def test_a_fulfillment_before_its_order_waits_queued_and_is_applied_when_the_order_arrives(
        deliver, alpha):
    assert deliver("fulfillments_create.json", "fulfillments/create").status_code == 200
    waiting = last_inbound(alpha)
    assert waiting.status == Status.QUEUED and waiting.error.startswith(WAITING_PREFIX)
    assert shipments(alpha) == []
    deliver("orders_create.json", "orders/create")
    with tenant_scope(waiting.tenant):
        waiting.refresh_from_db()
    assert waiting.status == Status.PROCESSED and waiting.attempts == 2
    assert shipments(alpha) == [("UPS", "1Z2345", "#1001", [("IPod Nano - 8gb", 1)])]


@pytest.mark.django_db
def test_the_sweep_retries_a_waiting_fulfillment(deliver, alpha, committed):
    deliver("fulfillments_create.json", "fulfillments/create")
    from tracking.shopify.mapping import order_input

    with tenant_scope(alpha), committed():  # the order came another way (API, CSV)
        order_services.order_upsert(alpha, order_input(json.loads(fixture_bytes("orders_create.json"))))
        InboundWebhook.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    tracking_sweep()
    assert last_inbound(alpha).status == Status.PROCESSED
    assert [s[:3] for s in shipments(alpha)] == [("UPS", "1Z2345", "#1001")]


@pytest.mark.django_db
def test_a_fulfillment_whose_order_never_arrives_fails_after_two_days(deliver, alpha):
    deliver("fulfillments_create.json", "fulfillments/create")
    with tenant_scope(alpha):
        InboundWebhook.objects.update(received_at=timezone.now() - timedelta(hours=49))
        services.inbound_process(alpha, last_inbound(alpha).pk)
    inbound = last_inbound(alpha)
    assert inbound.status == Status.FAILED and inbound.error.startswith("Gave up: Waiting for order")


@pytest.mark.django_db
def test_replaying_everything_applies_nothing_twice(deliver, alpha, committed):
    for name, topic in [("orders_create.json", "orders/create"), ("orders_updated.json", "orders/updated"),
                        ("fulfillments_update.json", "fulfillments/update"),
                        ("customers_data_request.json", "customers/data_request")]:
        deliver(name, topic)
    with tenant_scope(alpha):
        timeline = OrderEvent.objects.exclude(kind="message")  # shopper messages are messaging's
        before = (timeline.count(), Shipment.objects.count(), ShipmentItem.objects.count(),
                  Customer.objects.count(), Product.objects.count())
        for inbound in InboundWebhook.objects.all():
            with committed():
                assert inbound_replay(alpha, inbound.pk).status == Status.QUEUED
        after = (timeline.count(), Shipment.objects.count(), ShipmentItem.objects.count(),
                 Customer.objects.count(), Product.objects.count())
        assert set(InboundWebhook.objects.values_list("status", flat=True)) == {Status.PROCESSED}
    assert after == before == (6, 3, 3, 1, 1)


@pytest.mark.django_db
def test_a_known_product_is_not_overwritten_by_a_line_item(deliver, alpha):
    with tenant_scope(alpha):
        order_services.product_upsert_many(alpha, [order_services.ProductInput(
            external_id="632910392", title="iPod nano (8 GB)", price=Decimal("219.00"), currency="USD",
            category="audio")])
    deliver("orders_create.json", "orders/create")
    with tenant_scope(alpha):
        product = Product.objects.get()
        assert (product.title, product.price, product.category) == (
            "iPod nano (8 GB)", Decimal("219.00"), "audio")
        assert Order.objects.get().lines.filter(product=product).count() == 1


@pytest.mark.django_db
def test_a_shipment_a_carrier_reported_first_gets_the_order_and_its_lines(deliver, alpha, committed):
    with tenant_scope(alpha), committed():
        services.shipment_create(alpha, carrier="ups", tracking_number="1Z2345")
    deliver("orders_create.json", "orders/create")
    deliver("fulfillments_create.json", "fulfillments/create")
    assert shipments(alpha) == [("UPS", "1Z2345", "#1001", [("IPod Nano - 8gb", 1)])]


@pytest.mark.django_db
def test_a_cancelled_fulfillment_makes_no_shipment(deliver, alpha):
    deliver("orders_create.json", "orders/create")
    body = json.loads(fixture_bytes("fulfillments_create.json"))
    body["status"] = "cancelled"
    assert deliver(json.dumps(body).encode(), "fulfillments/update").status_code == 200
    assert last_inbound(alpha).status == Status.PROCESSED
    assert shipments(alpha) == []


@pytest.mark.django_db
def test_redacting_a_guest_finds_them_by_email(deliver, alpha):
    deliver("orders_create_guest.json", "orders/create")
    body = json.dumps({"shop_id": 954889, "shop_domain": "alpha-store.myshopify.com",
                       "customer": {"id": None, "email": "guest.shopper@example.com"},
                       "orders_to_redact": [450789470]}).encode()
    assert deliver(body, "customers/redact").status_code == 200
    with tenant_scope(alpha):
        assert not Customer.objects.exists()
        assert Order.objects.get().shipping_address == {"country_code": "DE"}


@pytest.mark.django_db
def test_redaction_erases_every_trace_of_the_shopper_from_customers_and_orders(deliver, alpha):
    deliver("orders_create.json", "orders/create")
    deliver("orders_updated.json", "orders/updated")
    deliver("customers_redact.json", "customers/redact")
    deliver("customers_redact.json", "customers/redact")  # Shopify may send it again
    assert last_inbound(alpha).status == Status.PROCESSED
    with tenant_scope(alpha):
        stored = json.dumps([list(Order.objects.values()), list(Customer.objects.values()),
                             list(OrderEvent.objects.values())], default=str)
    for personal in ("bob.norman@example.com", "Norman", "Chestnut", "40202", "+16136120707"):
        assert personal not in stored
    assert rows(Shipment, alpha)[0].order_id == order_row(alpha).pk  # the anonymous facts stay


@pytest.mark.django_db
def test_a_privacy_request_without_a_customer_is_400(deliver, alpha):
    response = deliver(b'{"shop_id": 1, "customer": {}}', "customers/redact")
    assert response.status_code == 400
