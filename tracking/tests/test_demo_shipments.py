"""The demo store's parcels: real pipeline, every kind of story, idempotent."""

import pytest

from orders.demo import seed_demo
from tenants.context import tenant_scope
from tracking.demo import seed_demo_shipments
from tracking.models import Shipment, ShipmentMilestone


@pytest.mark.django_db
def test_demo_parcels_cover_the_statuses_and_a_second_run_adds_nothing():
    tenant, _ = seed_demo()
    first = seed_demo_shipments(tenant)
    assert first.shipments > 100 and first.events > first.shipments
    with tenant_scope(tenant):
        statuses = set(Shipment.objects.values_list("status", flat=True))
        assert {"delivered", "in_transit", "out_for_delivery", "exception",
                "available_for_pickup"} <= statuses
        assert ShipmentMilestone.objects.filter(milestone="delivered").exists()
    again = seed_demo_shipments(tenant)
    assert (again.shipments, again.events) == (0, 0)
