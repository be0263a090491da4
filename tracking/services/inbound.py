"""Tracking's webhook sources (registered in apps.py): carrier bodies verified, parsed and queued
for the drain; generic API batches validated and queued; applying what was queued."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction

from config import db
from tenants.inbound import RawBody, Receipt, WebhookSource, inbound_finish, inbound_row
from tenants.models import InboundWebhook, Tenant
from tenants.services import credential_fields

from ..carriers import PayloadError, get_adapter
from ..carriers.generic import GenericEventParser

GENERIC_SOURCE = "generic"
SHOPIFY_SOURCE = "shopify"  # orders and fulfillments, not a carrier: tracking/shopify/


def source_parser(source: str):
    """The parser of a stored body's source: the carrier's adapter, or our generic event
    API's parser (the drain parses each body it applies with it)."""
    return GenericEventParser() if source == GENERIC_SOURCE else get_adapter(source)


@dataclass(frozen=True)
class _Decision:
    status: str
    error: str = ""
    details: dict | None = None
    event_id: str = ""


def _decide(tenant: Tenant, source: str, body: bytes, headers: Mapping[str, str], query: str,
            *, truncated: bool = False, exclude_id: int | None = None,
            check_duplicate: bool = True, secrets: Mapping[str, str] | None = None) -> _Decision:
    """Verify and parse a body in memory: what its stored row's status will be. The webhook
    path leaves redeliveries to the drain (`check_duplicate=False`): one query less while the
    provider waits, and the drain sees them in batches."""
    from django.http import QueryDict

    if truncated:
        return _Decision(InboundWebhook.Status.INVALID, "The body was larger than we accept.")
    adapter = get_adapter(source)
    secrets = secrets or credential_fields(tenant, source) or {}
    lowered = {k.lower(): v for k, v in headers.items()}
    if not adapter.verify(body, lowered, QueryDict(query), secrets):
        reason = ("No webhook secret is configured for this source." if not secrets else
                  "The signature does not match this store's webhook secret.")
        return _Decision(InboundWebhook.Status.REJECTED, reason)
    try:
        updates = adapter.parse(body)
    except PayloadError as exc:
        return _Decision(InboundWebhook.Status.INVALID, exc.message, exc.details)
    if not updates:
        return _Decision(InboundWebhook.Status.IGNORED, "Not a kind of event we process.")
    event_id = next((u.provider_event_id for u in updates if u.provider_event_id), "")[:128]
    if check_duplicate and event_id and InboundWebhook.objects.filter(
            source=source, provider_event_id=event_id,
            status__in=[InboundWebhook.Status.QUEUED, InboundWebhook.Status.PROCESSED],
    ).exclude(pk=exclude_id).exists():
        return _Decision(InboundWebhook.Status.DUPLICATE, "This delivery arrived before.",
                         event_id=event_id)
    return _Decision(InboundWebhook.Status.QUEUED, event_id=event_id)


def _queue_processing(tenant: Tenant, inbound: InboundWebhook) -> None:
    """After commit, make sure a drain (drain.py) will apply the body: usually one Redis
    SET NX, not a Celery message per body."""
    from ..drain import drain_kick

    # Not `robust`: drain_kick survives a down Redis or broker itself; anything else is a bug.
    transaction.on_commit(lambda: drain_kick(tenant.pk))


def inbound_accept(tenant: Tenant, source: WebhookSource, raw: RawBody,
                   secrets: Mapping[str, str] | None = None) -> tuple[InboundWebhook, Receipt]:
    """A carrier webhook's fast path (tenants/inbound.py `accept`): verify and parse in
    memory, then store the body with its outcome in ONE write (a commit is the expensive part
    of answering a webhook). The body is still stored before anything processes it and before
    the provider gets its 2xx; if the checks themselves fail unexpectedly, the edge stores the
    body as `failed`."""
    decision = _decide(tenant, source.provider, raw.body, raw.headers, raw.query,
                       truncated=raw.truncated, check_duplicate=False, secrets=secrets)
    inbound = db.row_insert(tenant.pk, inbound_row(
        tenant, source, raw, status=decision.status, error=decision.error,
        provider_event_id=decision.event_id))
    if decision.status == InboundWebhook.Status.QUEUED:
        _queue_processing(tenant, inbound)
    return inbound, Receipt(decision.status, decision.error, decision.details)


def inbound_receive(tenant: Tenant, inbound: InboundWebhook) -> Receipt:
    """Verify and parse a carrier body already stored, and queue it: how replay works."""
    decision = _decide(tenant, inbound.source, bytes(inbound.body), inbound.headers,
                       inbound.query, truncated=inbound.body_truncated, exclude_id=inbound.pk)
    receipt = inbound_finish(inbound, decision.status, decision.error,
                             details=decision.details, event_id=decision.event_id)
    if decision.status == InboundWebhook.Status.QUEUED:
        _queue_processing(tenant, inbound)
    return receipt


def inbound_process(tenant: Tenant, inbound_id: int) -> None:
    """Apply a queued body: Shopify's one by one (a fulfillment may wait for its order);
    carrier and API bodies through the drain (drain.py), which applies them in batches (a
    task queued before the drain existed lands here too). Idempotent."""
    inbound = InboundWebhook.objects.filter(pk=inbound_id).first()
    if inbound is None:
        return
    if inbound.source == SHOPIFY_SOURCE:
        from ..shopify.processing import shopify_process

        return shopify_process(tenant, inbound)
    from ..drain import inbound_drain

    inbound_drain(tenant)


def generic_events_receive(tenant: Tenant, inbound: InboundWebhook) -> Receipt:
    """Validate a stored generic-API batch (already authenticated by its API key) and queue it.
    Raises PayloadError, naming each bad item and field, after recording the outcome."""
    try:
        updates = GenericEventParser().parse(bytes(inbound.body))
    except PayloadError as exc:
        inbound_finish(inbound, InboundWebhook.Status.INVALID, exc.message)
        raise
    count = sum(len(u.events) for u in updates)
    receipt = inbound_finish(inbound, InboundWebhook.Status.QUEUED, details={"events": count})
    _queue_processing(tenant, inbound)
    return Receipt(receipt.status, f"{count} event(s) accepted.", {"events": count})
