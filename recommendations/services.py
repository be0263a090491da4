"""Writes of the recommendations app: clicks on recommended products, for attribution."""

from __future__ import annotations

from datetime import datetime

from tenants.models import Tenant

from .models import RecommendationClick


def recommendation_click_record(tenant: Tenant, *, product_id: int, surface: str,
                                reference: str, clicked_at: datetime,
                                order_id: int | None = None,
                                customer_id: int | None = None) -> None:
    """Record a click once per surface, reference, product and minute: the unique constraint
    decides, never a check first."""
    dedup_key = f"{surface}:{reference}:{product_id}:{clicked_at:%Y%m%d%H%M}"
    RecommendationClick.objects.bulk_create([RecommendationClick(
        tenant=tenant, product_id=product_id, order_id=order_id, customer_id=customer_id,
        surface=surface, reference=reference, clicked_at=clicked_at, dedup_key=dedup_key,
    )], ignore_conflicts=True)
