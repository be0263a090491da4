"""Cross-tenant cases for the agent console: the order page and every action on it."""

from messaging.tests.factories import make_message, make_order, make_shipment

from .harness import cross_tenant_case


def _alices_order(p) -> dict:
    return {"order_id": make_order(p.tenant_a, number="#A-7001").pk}


for _name, _methods in (("orders:detail", ("GET",)), ("orders:note-add", ("POST",)),
                        ("orders:contact", ("POST",)), ("orders:consent", ("POST",))):
    cross_tenant_case(_name, methods=_methods)(_alices_order)


@cross_tenant_case("messaging:message-send-again", methods=("POST",))
def _alices_sent_message(p) -> dict:
    order = make_order(p.tenant_a, number="#A-7002")
    return {"message_id": make_message(p.tenant_a, order=order, status="delivered").pk}


@cross_tenant_case("tracking:shipment-mark", methods=("POST",))
def _alices_parcel(p) -> dict:
    order = make_order(p.tenant_a, number="#A-7003")
    return {"shipment_id": make_shipment(p.tenant_a, order).pk}


cross_tenant_case("returns-console:start", methods=("POST",))(_alices_order)
cross_tenant_case("messaging:order-message-send", methods=("POST",))(_alices_order)
