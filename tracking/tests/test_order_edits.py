"""An order edited after it shipped keeps what its shipments carry."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders import services as order_services
from tenants.context import tenant_scope
from tracking import services
from tracking.models import ShipmentItem


def order_input(lines):
    return order_services.OrderInput(
        external_id="o-1", number="#1", currency="EUR", placed_at=datetime(2026, 11, 1, tzinfo=UTC),
        lines=[order_services.LineInput(title=t, quantity=q, unit_price=Decimal("10")) for t, q in lines])


@pytest.mark.django_db
def test_editing_an_order_keeps_the_shipment_items_of_lines_it_still_has(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        order, _ = order_services.order_upsert(tenant, order_input([("Tent", 1), ("Pegs", 2)]))
        tent = order.lines.get(position=1)
        services.shipment_create(tenant, carrier="DHL", tracking_number="JD1", order=order,
                                 items=[(tent.pk, 1)])
        order_services.order_upsert(tenant, order_input([("Tent 2P", 1)]))
        items = list(ShipmentItem.objects.all())
        assert [(i.line_item_id, i.line_item.title) for i in items] == [(tent.pk, "Tent 2P")]
        assert order.lines.count() == 1
