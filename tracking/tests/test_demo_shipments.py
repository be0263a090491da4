"""The demo store's parcels: real pipeline, every kind of story, idempotent."""

import pytest

from orders.demo import seed_demo
from tenants.context import tenant_scope
from tracking.demo import seed_demo_shipments
from tracking.demo_live import LIVE_PREFIX
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


@pytest.mark.django_db
def test_the_shipments_list_opens_on_the_live_parcels_then_the_newest_history():
    """Parcels are made in the order they were shipped, so the dashboard's Shipments list
    (newest received first) shows the demo's present first, not September."""
    tenant, _ = seed_demo()
    seed_demo_shipments(tenant, live=True)
    with tenant_scope(tenant):
        listed = list(Shipment.objects.select_related("order").order_by("-created_at", "-pk"))
    live = [s for s in listed if s.tracking_number.startswith(LIVE_PREFIX)]
    history = [s for s in listed if not s.tracking_number.startswith(LIVE_PREFIX)]
    assert live and listed[:len(live)] == live
    placed = [s.order.placed_at for s in history]
    assert placed == sorted(placed, reverse=True)
