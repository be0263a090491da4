"""Fixtures shared by tracking's tests."""

from __future__ import annotations

import pytest

from tenants import outbox
from tracking.models import ShipmentMilestone


@pytest.fixture
def milestones_handed(monkeypatch) -> list[tuple[str, int, str]]:
    """Every shipment milestone the outbox hands to its processor, as (tenant slug, shipment
    id, milestone), in order. The registered processor (messaging's) still runs."""
    handed: list[tuple[str, int, str]] = []
    processor = outbox.PROCESSORS[ShipmentMilestone.KIND]

    def recording(tenant, rows):
        handed.extend((tenant.slug, row.shipment_id, row.milestone) for row in rows)
        processor(tenant, rows)

    monkeypatch.setitem(outbox.PROCESSORS, ShipmentMilestone.KIND, recording)
    return handed
