"""The same event arriving twice at the same moment is stored once (PostgreSQL decides)."""

import threading

import pytest
from django.db import connection

from tenants.context import tenant_scope
from tracking import services
from tracking.carriers import get_adapter
from tracking.models import ShipmentMilestone, TrackingEvent

from .test_webhook_pipeline import tracker_body


@pytest.mark.django_db(transaction=True)
def test_the_same_event_arriving_twice_concurrently_is_stored_once(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        services.shipment_create(tenant, carrier="USPS", tracking_number="9400999")
    updates = get_adapter("easypost").parse(tracker_body(
        "9400999", [("in_transit", "2026-11-01T18:00:00Z"), ("delivered", "2026-11-02T18:00:00Z")]))
    start = threading.Barrier(4)
    errors = []

    def deliver():
        try:
            start.wait()
            with tenant_scope(tenant):
                services.updates_apply(tenant, updates)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    with tenant_scope(tenant):
        assert TrackingEvent.objects.count() == 2
        assert sorted(ShipmentMilestone.objects.values_list("milestone", flat=True)) == [
            "delivered", "in_transit", "shipped"]
