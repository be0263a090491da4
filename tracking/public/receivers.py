"""What makes a cached tracking page stale, and forgets it (after commit). Connected in
tracking's AppConfig.ready. Dispatch only: each receiver names what changed.

    the tenant, its brand, its page settings      every page of the tenant
    an order, its shopper                         the order's parcels
    a shipment, its items, its rating             the shipment and its order's other parcels
    a shopper erased (GDPR)                       the shopper's parcels

Tracking's own writes forget where they happen (services.shipments_recompute for new scans,
shipment_get_or_create for items, silence.py for late and stuck flags). Not followed, so
shown within TRACKING_PAGE_CACHE_SECONDS: catalog edits (a catalog sync would empty the
store's cache on every stock change), an order's lines changed after the order, deletions
(a post_delete receiver makes Django load every row of a cascade to send it).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model
from django.db.models.signals import post_save

from orders.models import Customer, Order
from orders.signals import customer_redacted
from tenants.models import Brand, Tenant

from ..models import DeliveryFeedback, Shipment, ShipmentItem, TrackingPageSettings
from .cache import tracking_page_forget


def _tenant(sender, instance, **kwargs) -> None:
    tracking_page_forget(instance.pk if sender is Tenant else instance.tenant_id)


def _order(sender, instance, **kwargs) -> None:
    tracking_page_forget(instance.tenant_id, order_ids=[instance.pk])


def _customer(sender, instance, **kwargs) -> None:
    tracking_page_forget(instance.tenant_id, customer_ids=[instance.pk])


def _shipment(sender, instance, **kwargs) -> None:
    shipment_id = instance.pk if sender is Shipment else instance.shipment_id
    tracking_page_forget(instance.tenant_id, [shipment_id])


def _redacted(sender, tenant, customer_id, order_ids, **kwargs) -> None:
    tracking_page_forget(tenant.pk, order_ids=order_ids, customer_ids=[customer_id])


def connect() -> None:
    # post_save only: a post_delete receiver would make Django load every row of a cascade
    # (a store's deletion) to send it. A deleted row's page is a 404 once its cache expires.
    receivers: list[tuple[type[Model], Callable[..., None]]] = [
        (Tenant, _tenant), (Brand, _tenant), (TrackingPageSettings, _tenant),
        (Order, _order), (Customer, _customer),
        (Shipment, _shipment), (ShipmentItem, _shipment), (DeliveryFeedback, _shipment)]
    for model, receiver in receivers:
        post_save.connect(receiver, sender=model, dispatch_uid=f"tracking-page-{model.__name__}")
    customer_redacted.connect(_redacted, dispatch_uid="tracking-page-redacted")
