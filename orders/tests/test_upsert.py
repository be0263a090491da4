"""Create-or-update by external id: repeats change nothing, changes are recorded."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from config.errors import Conflict, ValidationFailed
from orders import services
from orders.models import Customer, Order, OrderEvent, OrderMilestone, Product
from tenants.context import tenant_scope


def order_input(**overrides) -> services.OrderInput:
    values = {
        "external_id": "ext-1001", "number": "#1001", "currency": "EUR",
        "placed_at": datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        "customer": services.CustomerInput(external_id="c-1", email="Sam@Example.test",
                                           first_name="Sam", consents={"transactional_sms": True}),
        "lines": [services.LineInput(title="Tent", quantity=1, unit_price=Decimal("199.00")),
                  services.LineInput(title="Pegs", quantity=2, unit_price=Decimal("5.50"))],
        "shipping": Decimal("4.90"),
    }
    return services.OrderInput(**{**values, **overrides})


@pytest.fixture
def alpha(personas, django_capture_on_commit_callbacks):
    with tenant_scope(personas.tenant_a):
        yield personas.tenant_a


@pytest.mark.django_db
def test_a_new_order_is_confirmed_once_with_its_customer_and_lines(alpha, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order, created = services.order_upsert(alpha, order_input(), actor="api")
    with django_capture_on_commit_callbacks(execute=True):
        again, created_again = services.order_upsert(alpha, order_input(), actor="api")
    assert created and not created_again and again.pk == order.pk
    assert order.subtotal == Decimal("210.00") and order.total == Decimal("214.90")
    assert order.customer.email == "sam@example.test"
    assert order.customer.transactional_sms_consent and order.customer.transactional_sms_consent_at
    assert [line.title for line in order.lines.all()] == ["Tent", "Pegs"]
    confirmed = OrderMilestone.objects.get()
    assert (confirmed.milestone, confirmed.kind) == ("order_confirmed", OrderMilestone.KIND)
    assert confirmed.announced_at is not None
    # The shopper was told too (a "message" line, written by messaging).
    assert list(OrderEvent.objects.exclude(kind="message").values_list("kind", flat=True)) == [
        "created"]


@pytest.mark.django_db
def test_a_change_is_recorded_on_the_timeline(alpha):
    services.order_upsert(alpha, order_input())
    services.order_upsert(alpha, order_input(
        fulfillment_status=Order.FulfillmentStatus.CANCELLED,
        lines=[services.LineInput(title="Tent", quantity=1, unit_price=Decimal("199.00"))]))
    order = Order.objects.get()
    assert order.lines.count() == 1 and order.subtotal == Decimal("199.00")
    last = OrderEvent.objects.last()
    assert last.kind == "cancelled" and "lines" in last.data["changed"]


@pytest.mark.django_db
def test_an_order_number_cannot_move_to_another_order(alpha):
    services.order_upsert(alpha, order_input())
    services.order_upsert(alpha, order_input(external_id="ext-1002", number="#1002"))
    with pytest.raises(Conflict):
        services.order_upsert(alpha, order_input(external_id="ext-1002", number="#1001"))


@pytest.mark.django_db
def test_bad_order_values_are_named(alpha):
    with pytest.raises(ValidationFailed) as error:
        services.order_upsert(alpha, order_input(currency="euro"))
    assert "currency" in error.value.details
    with pytest.raises(ValidationFailed) as error:
        services.order_upsert(alpha, order_input(customer=services.CustomerInput(
            external_id="c-2", phone="0151 123")))
    assert "customer.phone" in error.value.details


@pytest.mark.django_db
def test_products_are_upserted_in_bulk(alpha):
    item = services.ProductInput(external_id="p-1", title="Tent", price=Decimal("199"), currency="EUR")
    assert services.product_upsert_many(alpha, [item]).created == 1
    item.title = "Tent 2P"
    result = services.product_upsert_many(alpha, [item])
    assert (result.created, result.updated) == (0, 1)
    assert Product.objects.get().title == "Tent 2P"


@pytest.mark.django_db
def test_erasing_a_shopper_keeps_the_anonymous_order(alpha):
    order, _ = services.order_upsert(alpha, order_input(
        shipping_address={"name": "Sam Doe", "address1": "1 Main St", "country_code": "DE"}))
    assert services.customer_redact(alpha, order.customer_id, actor="shopify") == 1
    order.refresh_from_db()
    assert order.customer is None and order.shipping_address == {"country_code": "DE"}
    assert not Customer.objects.exists()
    assert OrderEvent.objects.last().kind == "redacted"
