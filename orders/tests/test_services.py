from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from orders import services
from orders.models import Customer, LineItem, Order, Product
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db


def _order(number: int, customer: Customer | None = None) -> Order:
    return Order(external_id=f"o-{number}", number=f"#{number}", customer=customer,
                 placed_at=timezone.now(), currency="EUR", subtotal=Decimal("10.00"),
                 total=Decimal("10.00"))


def _line(title: str) -> LineItem:
    return LineItem(title=title, sku=title.upper(), quantity=1, unit_price=Decimal("10.00"))


def test_creating_the_same_customers_twice_creates_them_once(personas):
    with tenant_scope(personas.tenant_a):
        first = services.customer_create_many(personas.tenant_a, [Customer(external_id="c-1")])
        again = services.customer_create_many(personas.tenant_a,
                                              [Customer(external_id="c-1"), Customer(external_id="c-2")])
    assert (first.created, again.created) == (1, 1)
    assert list(again.by_external_id) == ["c-1", "c-2"]
    assert again.by_external_id["c-1"].pk == first.by_external_id["c-1"].pk


def test_the_same_external_id_in_two_tenants_is_two_customers(personas):
    with tenant_scope(personas.tenant_a):
        a = services.customer_create_many(personas.tenant_a, [Customer(external_id="c-1")])
    with tenant_scope(personas.tenant_b):
        b = services.customer_create_many(personas.tenant_b, [Customer(external_id="c-1")])
    assert a.created == b.created == 1
    with tenant_scope(personas.tenant_b):
        assert Customer.objects.get().pk == b.by_external_id["c-1"].pk


def test_an_existing_order_keeps_its_lines(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        services.order_create_many(tenant, [(_order(1001), [_line("tent"), _line("mat")])])
        result = services.order_create_many(tenant, [(_order(1001), [_line("stove")]),
                                                     (_order(1002), [_line("stove")])])
    assert result.created == 1
    with tenant_scope(tenant):
        titles = {o.number: [line.title for line in o.lines.all()]
                  for o in Order.objects.prefetch_related("lines")}
    assert titles == {"#1001": ["tent", "mat"], "#1002": ["stove"]}


def test_lines_link_products_and_keep_their_position(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        product = services.product_create_many(tenant, [Product(
            external_id="p-1", sku="TNT-1", title="Tent", price=Decimal("99"), currency="EUR",
        )]).by_external_id["p-1"]
    line = _line("tent")
    line.product = product
    with tenant_scope(tenant):
        services.order_create_many(tenant, [(_order(1), [_line("first"), line])])
        lines = list(LineItem.objects.all())
    assert [(ln.position, ln.title, ln.product_id) for ln in lines] == [
        (1, "first", None), (2, "tent", product.pk)]


def test_timeline_lines_recorded_twice_stay_once_per_dedup_key(personas):
    tenant = personas.tenant_a
    order = _order(7)
    with tenant_scope(tenant):
        order.save()
    lines = [
        {"order_id": order.pk, "kind": "message", "summary": "E-mail sent", "dedup_key": "sent:1"},
        {"order_id": order.pk, "kind": "note", "summary": "Called the shopper"},  # no key
    ]

    with tenant_scope(tenant):
        services.order_events_record_many(tenant, lines)
        services.order_events_record_many(tenant, lines)

    with tenant_scope(tenant):
        recorded = list(order.events.values_list("summary", "dedup_key", "actor"))
    assert sorted(recorded) == [("Called the shopper", "", ""), ("Called the shopper", "", ""),
                                ("E-mail sent", "sent:1", "")]
