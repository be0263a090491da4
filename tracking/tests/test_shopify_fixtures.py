"""One test per recorded Shopify payload (tracking/shopify/fixtures/), delivered signed through
the endpoint and applied by the task. The signature vectors are in test_shopify_webhook.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.models import Customer, LineItem, Order, OrderEvent, OrderMilestone, Product
from tenants.context import tenant_scope
from tenants.models import InboundWebhook
from tracking.models import Shipment, ShipmentItem

from .test_shopify_webhook import alpha, deliver, last_inbound, rows  # noqa: F401 - fixtures

__all__ = ["alpha", "deliver"]


def applied(response, tenant) -> None:
    assert response.status_code == 200, response.content
    inbound = last_inbound(tenant)
    assert inbound.status == InboundWebhook.Status.PROCESSED, inbound.error


def shipments(tenant) -> list[tuple]:
    """(carrier, number, order number, [(line title, quantity)]) per shipment."""
    with tenant_scope(tenant):
        return [(s.carrier, s.tracking_number, s.order.number if s.order else None,
                 [(i.line_item.title, i.quantity) for i in ShipmentItem.objects.filter(shipment=s)
                  .select_related("line_item").order_by("line_item__position")])
                for s in Shipment.objects.select_related("order").order_by("tracking_number")]


@pytest.mark.django_db
def test_orders_create(deliver, alpha):
    applied(deliver("orders_create.json", "orders/create"), alpha)
    with tenant_scope(alpha):
        order = Order.objects.select_related("customer").get()
        assert (order.external_id, order.number, order.source) == ("450789469", "#1001", "shopify")
        assert (order.total, order.shipping, order.tax) == (
            Decimal("214.90"), Decimal("10.00"), Decimal("0.90"))
        assert order.financial_status == Order.FinancialStatus.PAID
        assert order.shipping_address["postcode"] == "40202"
        customer = order.customer
        assert (customer.external_id, customer.email) == ("207119551", "bob.norman@example.com")
        assert customer.marketing_email_consent and customer.marketing_email_consent_source == "import"
        assert not customer.marketing_sms_consent
        lines = list(LineItem.objects.select_related("product").order_by("position"))
        assert [(li.title, li.product.external_id if li.product else None) for li in lines] == [
            ("IPod Nano - 8gb", "632910392"), ("Gift wrap", None)]
        assert Product.objects.get().price == Decimal("199.00")
        assert OrderMilestone.objects.get().milestone == "order_confirmed"


@pytest.mark.django_db
def test_orders_create_guest(deliver, alpha):
    applied(deliver("orders_create_guest.json", "orders/create"), alpha)
    with tenant_scope(alpha):
        order = Order.objects.select_related("customer").get()
        assert order.customer.external_id == "guest:guest.shopper@example.com"
        assert order.lines.get().quantity == 2 and order.currency == "EUR"


@pytest.mark.django_db
def test_orders_updated(deliver, alpha):
    applied(deliver("orders_create.json", "orders/create"), alpha)
    applied(deliver("orders_updated.json", "orders/updated"), alpha)
    with tenant_scope(alpha):
        order = Order.objects.get()
        assert order.fulfillment_status == Order.FulfillmentStatus.PARTIALLY_FULFILLED
        assert list(order.events.exclude(kind="message").values_list("kind", flat=True)) == [
            "created", "updated", "shipment_created"]
    assert shipments(alpha) == [("UPS", "1Z2345", "#1001", [("IPod Nano - 8gb", 1)])]


@pytest.mark.django_db
def test_orders_updated_cancelled(deliver, alpha):
    applied(deliver("orders_create.json", "orders/create"), alpha)
    applied(deliver("orders_updated_cancelled.json", "orders/updated"), alpha)
    with tenant_scope(alpha):
        order = Order.objects.get()
        assert order.fulfillment_status == Order.FulfillmentStatus.CANCELLED
        assert order.financial_status == Order.FinancialStatus.REFUNDED
        assert order.events.filter(kind=OrderEvent.Kind.CANCELLED).count() == 1


@pytest.mark.django_db
def test_fulfillments_create(deliver, alpha):
    applied(deliver("orders_create.json", "orders/create"), alpha)
    applied(deliver("fulfillments_create.json", "fulfillments/create"), alpha)
    assert shipments(alpha) == [("UPS", "1Z2345", "#1001", [("IPod Nano - 8gb", 1)])]
    with tenant_scope(alpha):
        event = OrderEvent.objects.get(kind=OrderEvent.Kind.SHIPMENT_CREATED)
        assert event.summary == "Shipment UPS 1Z2345 created" and event.actor == "shopify"


@pytest.mark.django_db
def test_fulfillments_update(deliver, alpha):
    applied(deliver("orders_create.json", "orders/create"), alpha)
    applied(deliver("fulfillments_update.json", "fulfillments/update"), alpha)
    assert shipments(alpha) == [
        ("USPS", "9400100000000000000001", "#1001", [("Gift wrap", 1)]),
        ("USPS", "9400100000000000000002", "#1001", [("Gift wrap", 1)]),
    ]


@pytest.mark.django_db
def test_customers_data_request(deliver, alpha):
    applied(deliver("orders_create.json", "orders/create"), alpha)
    applied(deliver("customers_data_request.json", "customers/data_request"), alpha)
    applied(deliver("customers_data_request.json", "customers/data_request"), alpha)  # a new delivery
    with tenant_scope(alpha):
        note = OrderEvent.objects.get(kind=OrderEvent.Kind.NOTE)
        assert note.summary.startswith("Shopify data request 9999:")
        assert note.data["data_request_id"] == "9999"


@pytest.mark.django_db
def test_customers_redact(deliver, alpha):
    applied(deliver("orders_create.json", "orders/create"), alpha)
    applied(deliver("customers_redact.json", "customers/redact"), alpha)
    with tenant_scope(alpha):
        assert not Customer.objects.exists()
        order = Order.objects.get()
        assert order.customer is None and order.total == Decimal("214.90")
        assert order.shipping_address == {"province": "KY", "country_code": "US"}
        assert order.lines.count() == 2
        assert order.events.filter(kind=OrderEvent.Kind.REDACTED).count() == 1


@pytest.mark.django_db
def test_shop_redact(deliver, alpha):
    applied(deliver("orders_create.json", "orders/create"), alpha)
    applied(deliver("orders_create_guest.json", "orders/create"), alpha)
    applied(deliver("shop_redact.json", "shop/redact"), alpha)
    with tenant_scope(alpha):
        assert not Customer.objects.exists()
        assert Order.objects.filter(customer=None).count() == 2
        assert all(set(o.shipping_address) <= {"province", "country_code"} for o in Order.objects.all())
