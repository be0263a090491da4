"""Reads of shipments and tracking events that others need (the API, the order detail),
prefetched so a page of results costs a fixed number of queries however long it is.

Filters are keyword arguments applied only when given (`None` means "any").
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, QuerySet, Subquery
from django.http import Http404

from tenants.context import require_tenant
from tenants.models import Brand, Tenant

from .carriers.parsing import carrier_code
from .lookup.selectors import OrderFound, number_key, order_lookup  # noqa: F401 (the returns portal's lookup)
from .models import DeliveryFeedback, Shipment, ShipmentItem, TrackingEvent, TrackingPageSettings


def tracking_page_url(public_token: str, *, domain: str | None) -> str:
    """A shipment's public tracking page: on the tenant's own tracking `domain` when it mapped
    one (Brand.custom_tracking_domain), else on PUBLIC_BASE_URL. Messages, the API and the
    dashboard all link through here."""
    base = f"https://{domain}" if domain else settings.PUBLIC_BASE_URL
    return f"{base}/t/{public_token}/"


def _items(tenant: Tenant) -> Prefetch:
    return Prefetch("items", ShipmentItem.objects.all()
                    .select_related("line_item").order_by("line_item__position"))


def _events(tenant: Tenant) -> Prefetch:
    return Prefetch("events", TrackingEvent.objects.all()
                    .order_by("occurred_at", "pk"))


def shipment_list(tenant: Tenant, *, status: str | None = None, carrier: str | None = None,
                  tracking_number: str | None = None, order_id: int | None = None,
                  order_number: str | None = None, order_external_id: str | None = None,
                  customer_email: str | None = None, delayed: bool | None = None,
                  stalled: bool | None = None, created_after: datetime | None = None,
                  created_before: datetime | None = None) -> QuerySet[Shipment]:
    """Shipments with their order and items (two queries per page); no events, which can be
    many: a shipment's detail has them. Each carries `tracking_domain`, its tenant's custom
    tracking domain or None (a subquery of the page's query), for `tracking_page_url`."""
    qs = (Shipment.objects.select_related("order")
          # The scope's brand (the scoped manager filters by the tenant): every row is its.
          .annotate(tracking_domain=Subquery(Brand.objects.values("custom_tracking_domain")[:1]))
          .prefetch_related(_items(tenant)))
    if status:
        qs = qs.filter(status=status)
    if carrier:
        qs = qs.filter(carrier=carrier_code(carrier))  # "ups", "UPS" and "Ups" are one carrier
    if tracking_number:
        qs = qs.filter(tracking_number=tracking_number.strip())
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    if order_number:
        qs = qs.filter(order__number=order_number)
    if order_external_id:
        qs = qs.filter(order__external_id=order_external_id)
    if customer_email:
        qs = qs.filter(order__customer__email=customer_email.strip().lower())
    if delayed is not None:
        qs = qs.filter(delayed=delayed)
    if stalled is not None:
        qs = qs.filter(stalled=stalled)
    if created_after is not None:
        qs = qs.filter(created_at__gte=created_after)
    if created_before is not None:
        qs = qs.filter(created_at__lt=created_before)
    return qs


def shipment_get(tenant: Tenant, shipment_id: object) -> Shipment:
    """One shipment with its order, items and events (404 alike for missing and not ours)."""
    try:
        return shipment_list(tenant).prefetch_related(_events(tenant)).get(pk=shipment_id)
    except (Shipment.DoesNotExist, ValueError, TypeError):
        raise Http404("shipment not found") from None


def shipment_find(tenant: Tenant, *, carrier: str, tracking_number: str) -> Shipment | None:
    return Shipment.objects.filter(carrier=carrier_code(carrier),
                                   tracking_number=tracking_number.strip()).first()


def shipments_for_order(tenant: Tenant, order_id: int) -> list[Shipment]:
    """An order's shipments, oldest first, each with its items and events."""
    return list(shipment_list(tenant, order_id=order_id).prefetch_related(_events(tenant))
                .order_by("created_at", "pk"))


def tracking_event_list(tenant: Tenant, *, tracking_number: str | None = None,
                        shipment_id: int | None = None, status: str | None = None,
                        since: datetime | None = None) -> QuerySet[TrackingEvent]:
    """Stored events, including those still waiting for their shipment (no shipment yet)."""
    qs = TrackingEvent.objects.all()
    if tracking_number:
        qs = qs.filter(tracking_number=tracking_number.strip())
    if shipment_id is not None:
        qs = qs.filter(shipment_id=shipment_id)
    if status:
        qs = qs.filter(status=status)
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    return qs


def tracking_page_settings_get(tenant: Tenant) -> TrackingPageSettings:
    """How the tenant's tracking page looks; the defaults (unsaved) until someone saves one.
    In the tenant's scope (row-level security: outside it every store would seem to have none)."""
    require_tenant(tenant)
    stored = TrackingPageSettings.objects.unscoped(reason="one row per tenant, looked up by tenant") \
        .filter(tenant=tenant).first()
    return stored or TrackingPageSettings(tenant=tenant)


def delivery_feedback_list(tenant: Tenant, *, rating: int | None = None, low: bool | None = None,
                           shipment_id: int | None = None, created_after: datetime | None = None,
                           created_before: datetime | None = None) -> QuerySet[DeliveryFeedback]:
    """Delivery ratings with their shipment and its order, newest first."""
    qs = DeliveryFeedback.objects.select_related("shipment", "shipment__order")
    if rating is not None:
        qs = qs.filter(rating=rating)
    if low is not None:
        qs = qs.filter(low=low)
    if shipment_id is not None:
        qs = qs.filter(shipment_id=shipment_id)
    if created_after is not None:
        qs = qs.filter(created_at__gte=created_after)
    if created_before is not None:
        qs = qs.filter(created_at__lt=created_before)
    return qs.order_by("-created_at", "-pk")


def delivery_feedback_get(tenant: Tenant, shipment_id: int) -> DeliveryFeedback | None:
    """The shipment's rating, or None when the shopper has not given one."""
    return DeliveryFeedback.objects.filter(shipment_id=shipment_id).first()


def shipment_order_id_for_token(tenant: Tenant, public_token: str) -> int | None:
    """The order of the tenant's parcel whose tracking page this token opens (the page's
    "Start a return" button), else None."""
    if not public_token or len(public_token) > 40:
        return None
    return (Shipment.objects.filter(public_token=public_token, order__isnull=False)
            .values_list("order_id", flat=True).first())
