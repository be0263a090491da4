"""Cross-tenant cases for the ingestion API: customers, products, orders, shipments."""

from datetime import UTC, datetime
from decimal import Decimal

from orders import selectors
from orders import services as order_services
from tenants.context import tenant_scope
from tracking import services as tracking_services

from .harness import cross_tenant_case


def _alices_order(p):
    with tenant_scope(p.tenant_a):
        order, _ = order_services.order_upsert(p.tenant_a, order_services.OrderInput(
            external_id="alpha-ord-1", number="#A-1", currency="EUR",
            placed_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            customer=order_services.CustomerInput(external_id="alpha-cus-1",
                                                  email="alice@alpha.test"),
            lines=[order_services.LineInput(title="Tent", quantity=1,
                                            unit_price=Decimal("199.00"))]))
    return order


@cross_tenant_case("api-customer-detail", methods=("GET",))
def _alices_customer(p) -> dict:
    return {"customer_id": _alices_order(p).customer_id}


@cross_tenant_case("api-product-detail", methods=("GET",))
def _alices_product(p) -> dict:
    with tenant_scope(p.tenant_a):
        order_services.product_upsert_many(p.tenant_a, [order_services.ProductInput(
            external_id="alpha-p-1", title="Alpha tent", price=Decimal("199.00"),
            currency="EUR")])
        return {"product_id": selectors.product_list(p.tenant_a, external_id="alpha-p-1").get().pk}


@cross_tenant_case("api-order-detail", methods=("GET",))
def _alices_order_detail(p) -> dict:
    return {"order_id": _alices_order(p).pk}


@cross_tenant_case("api-shipment-detail", methods=("GET",))
def _alices_shipment(p) -> dict:
    order = _alices_order(p)
    with tenant_scope(p.tenant_a):
        shipment = tracking_services.shipment_create(p.tenant_a, carrier="UPS",
                                                     tracking_number="1ZALPHA0001", order=order)
    return {"shipment_id": shipment.pk}
