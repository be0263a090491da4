"""A stored Shopify delivery, from verification to the rows it changes.

    shopify_receive (in the request, and on replay)
      secret or previous secret ▸ X-Shopify-Shop-Domain ▸ X-Shopify-Topic ▸ body ▸ Webhook-Id dedup
      └─ queued ──on commit──▶ [task tracking.tasks.inbound_process] ──▶ shopify_process
                                  ├─ orders/create, orders/updated      _order_apply
                                  ├─ fulfillments/create, …/update      fulfillments.fulfillment_apply
                                  ├─ refunds/create                      refunds.refund_apply
                                  └─ customers/data_request, customers/redact, shop/redact  privacy.py

Everything applied is keyed by Shopify's ids (orders, customers and products by external id,
shipments by carrier + tracking number, timeline lines by dedup key), so a duplicate that slips
past the Webhook-Id check, a replay or a re-queue by the sweep changes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from config.untrusted import JsonError, json_parse
from orders import services as order_services
from orders.models import Order, Product
from tenants.inbound import Receipt, inbound_finish
from tenants.models import InboundWebhook, Tenant
from tenants.queueing import enqueue_on_commit
from tenants.services import credential_fields

from ..carriers.signatures import verify_shopify
from . import privacy
from .fulfillments import WAITING_PREFIX, WaitingForOrder, fulfillment_apply, fulfillment_parse
from .mapping import ACTOR, ShopifyPayloadError, order_input, product_inputs
from .refunds import refund_apply, refund_parse

logger = logging.getLogger(__name__)

SOURCE = "shopify"  # tracking.services.SHOPIFY_SOURCE: InboundWebhook.source and credential name
ORDER_TOPICS = frozenset({"orders/create", "orders/updated"})
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
PRIVACY_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
REFUND_TOPIC = "refunds/create"
TOPICS = ORDER_TOPICS | FULFILLMENT_TOPICS | PRIVACY_TOPICS | {REFUND_TOPIC}

# A fulfillment whose order never arrives stops waiting after this long: failed, replayable.
GIVE_UP_WAITING_AFTER = timedelta(hours=48)

_Status = InboundWebhook.Status


def _header(inbound: InboundWebhook, name: str) -> str:
    for key, value in inbound.headers.items():
        if key.lower() == name:
            return str(value).strip()
    return ""


def topic_of(inbound: InboundWebhook) -> str:
    return _header(inbound, "x-shopify-topic").lower()


def _validate(topic: str, payload: object) -> None:
    """Map the body now (pure, fast) so an unreadable one is answered 400, not failed later."""
    if topic in ORDER_TOPICS:
        order_input(payload)
    elif topic in FULFILLMENT_TOPICS:
        fulfillment_parse(payload)
    elif topic == REFUND_TOPIC:
        refund_parse(payload)
    else:
        privacy.validate(topic, payload)


def shopify_receive(tenant: Tenant, inbound: InboundWebhook) -> Receipt:
    """Verify and read a stored delivery; queue it when it is one to apply."""
    if inbound.body_truncated:
        return inbound_finish(inbound, _Status.INVALID, "The body was larger than we accept.")
    fields = credential_fields(tenant, SOURCE) or {}
    secrets = [s for s in (fields.get("webhook_secret"), fields.get("previous_webhook_secret")) if s]
    body = bytes(inbound.body)
    if not secrets:
        return inbound_finish(inbound, _Status.REJECTED,
                              "No Shopify webhook secret is configured for this store.")
    if not verify_shopify(body, _header(inbound, "x-shopify-hmac-sha256") or None, secrets):
        return inbound_finish(inbound, _Status.REJECTED,
                              "The signature does not match this store's Shopify webhook secret.")
    # The secret may be an app's, shared by every shop that installed it: the domain says which.
    expected_domain = (fields.get("shop_domain") or "").lower()
    if expected_domain and _header(inbound, "x-shopify-shop-domain").lower() != expected_domain:
        return inbound_finish(inbound, _Status.REJECTED,
                              "X-Shopify-Shop-Domain is not the shop this store is connected to.")
    inbound.provider_event_id = _header(inbound, "x-shopify-webhook-id")[:128]
    topic = topic_of(inbound)
    if topic not in TOPICS:
        return inbound_finish(inbound, _Status.IGNORED, f"Topic {topic or '(none)'!r} is not one we process.")
    try:
        payload = json_parse(body)
    except JsonError as exc:
        return inbound_finish(inbound, _Status.INVALID, exc.message)
    try:
        _validate(topic, payload)
    except ShopifyPayloadError as exc:
        return inbound_finish(inbound, _Status.INVALID, exc.message, details=exc.details)
    if inbound.provider_event_id and InboundWebhook.objects.filter(
            source=SOURCE, provider_event_id=inbound.provider_event_id,
            status__in=[_Status.QUEUED, _Status.PROCESSED]).exclude(pk=inbound.pk).exists():
        return inbound_finish(inbound, _Status.DUPLICATE,
                              "This delivery (X-Shopify-Webhook-Id) arrived before.")
    receipt = inbound_finish(inbound, _Status.QUEUED)
    _queue(tenant, inbound.pk)
    return receipt


def _queue(tenant: Tenant, inbound_id: int) -> None:
    from ..tasks import inbound_process

    enqueue_on_commit(inbound_process, tenant.pk, inbound_id, what="a Shopify delivery")


def shopify_process(tenant: Tenant, inbound: InboundWebhook) -> None:
    """Apply a queued delivery (the task; the sweep re-queues what is left queued)."""
    if inbound.status not in (_Status.QUEUED, _Status.FAILED):
        return
    inbound.attempts += 1
    topic = topic_of(inbound)
    try:
        with transaction.atomic():
            payload = json_parse(bytes(inbound.body))
            if topic in ORDER_TOPICS:
                created = _order_apply(tenant, topic, payload)
            elif topic in FULFILLMENT_TOPICS:
                created = fulfillment_apply(tenant, fulfillment_parse(payload))
            elif topic == REFUND_TOPIC:
                created = refund_apply(tenant, refund_parse(payload))
            else:
                created = privacy.apply(tenant, topic, payload, inbound_id=inbound.pk)
    except WaitingForOrder as exc:
        # Left queued: the order's own delivery re-queues it, the sweep is the safety net.
        gave_up = inbound.received_at < timezone.now() - GIVE_UP_WAITING_AFTER
        inbound.status = _Status.FAILED if gave_up else _Status.QUEUED
        inbound.error = f"Gave up: {exc}" if gave_up else str(exc)
        inbound.save(update_fields=["status", "error", "attempts"])
        return
    except Exception as exc:
        logger.exception("shopify webhook processing failed", extra={"inbound_id": inbound.pk})
        inbound.status, inbound.error = _Status.FAILED, f"{type(exc).__name__}: {exc}"
        inbound.save(update_fields=["status", "error", "attempts"])
        raise
    inbound.status, inbound.error = _Status.PROCESSED, ""
    inbound.processed_at, inbound.events_created = timezone.now(), created
    inbound.save(update_fields=["status", "error", "attempts", "processed_at", "events_created"])


def _products_ensure(tenant: Tenant, payload: dict) -> None:
    """Create the catalog products the lines name that we lack. Known ones are left alone: a
    line's title and price are the purchase's, and the retailer may curate the catalog."""
    wanted = product_inputs(payload)
    known = set(Product.objects.filter(external_id__in=[p.external_id for p in wanted])
                .values_list("external_id", flat=True))
    missing = [p for p in wanted if p.external_id not in known]
    if missing:
        order_services.product_upsert_many(tenant, missing)


def _order_apply(tenant: Tenant, topic: str, payload: dict) -> int:
    """Upsert the order (with customer and products), then its embedded fulfillments; returns
    how many shipments those named."""
    data = order_input(payload)
    order = Order.objects.filter(external_id=data.external_id).first()
    # Deliveries are not ordered: an orders/create that arrives after an orders/updated holds
    # the older state, so it must not overwrite what the update wrote.
    if order is None or topic != "orders/create":
        _products_ensure(tenant, payload)
        order, _ = order_services.order_upsert(tenant, data, actor=ACTOR)
    shipments = 0
    for item in payload.get("fulfillments") or []:
        shipments += fulfillment_apply(tenant, fulfillment_parse(item, order_id=data.external_id),
                                       order=order)
    _release_waiting(tenant)
    return shipments


def _release_waiting(tenant: Tenant) -> None:
    """Fulfillments that arrived before their order wait queued; now that an order arrived,
    try them again after commit instead of at the next sweep."""
    waiting = InboundWebhook.objects.filter(
        source=SOURCE, status=_Status.QUEUED, error__startswith=WAITING_PREFIX,
    ).values_list("pk", flat=True)[:100]
    for inbound_id in list(waiting):
        _queue(tenant, inbound_id)
