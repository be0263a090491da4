"""Cross-tenant cases for the ingestion dashboard (tracking/dashboard_urls.py): shipments,
the inbound webhook log and CSV imports of Alice's tenant, which Carol must not reach."""

from orders.services import import_job_create
from tenants.context import tenant_scope
from tenants.inbound import inbound_store
from tracking import services
from tracking.csv_rows import template_csv

from .harness import cross_tenant_case, no_tenant_object


def _alices_shipment(p) -> int:
    with tenant_scope(p.tenant_a):
        return services.shipment_create(p.tenant_a, carrier="USPS",
                                        tracking_number="ALPHA-PRIVATE-1").pk


def _alices_webhook(p) -> int:
    with tenant_scope(p.tenant_a):
        return inbound_store(p.tenant_a, source="easypost", body=b'{"alpha": 1}',
                                      headers={"Content-Type": "application/json"}).pk


def _alices_import(p) -> int:
    with tenant_scope(p.tenant_a):
        return import_job_create(p.tenant_a, filename="alpha-private.csv",
                                 content=template_csv().encode()).pk


@cross_tenant_case("tracking:shipment")
def _shipment(p) -> dict:
    return {"shipment_id": _alices_shipment(p)}


@cross_tenant_case("tracking:webhook")
def _webhook(p) -> dict:
    return {"inbound_id": _alices_webhook(p)}


@cross_tenant_case("tracking:webhook-replay", methods=("POST",))
def _webhook_replay(p) -> dict:
    return {"inbound_id": _alices_webhook(p)}


@cross_tenant_case("tracking:orders-import-job")
def _import_job(p) -> dict:
    return {"job_id": _alices_import(p)}


@cross_tenant_case("tracking:orders-import-progress")
def _import_progress(p) -> dict:
    return {"job_id": _alices_import(p)}


no_tenant_object(
    "tracking:webhook-test-event",
    "names a carrier source from the fixed catalogue (ADAPTERS), not a stored object; it "
    "signs with and writes to the session's own tenant only")
