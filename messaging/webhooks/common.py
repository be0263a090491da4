"""The raw-first edge every provider callback shares: resolve the store from the URL, keep the
body exactly as it arrived (tracking's InboundWebhook archive, so it shows in the webhook log),
then verify and process it, and record the outcome on the stored row.

Callbacks are processed in the request, not queued: each is a few indexed writes per event,
and the inbound SMS answer has to be in the HTTP response anyway. A stored row is therefore
never left `queued` (tracking's sweep re-queues queued rows into the carrier pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from config.api.errors import error_body
from tenants.context import activate_tenant
from tenants.models import Tenant
from tracking.models import InboundWebhook
from tracking.services import inbound_store

ANSWERS = {
    InboundWebhook.Status.REJECTED: (401, "invalid_signature"),
    InboundWebhook.Status.INVALID: (400, "invalid_payload"),
}


@dataclass(frozen=True)
class Stored:
    tenant: Tenant | None
    inbound: InboundWebhook | None
    refusal: JsonResponse | None  # answer at once: unknown store or body too large


def store_raw(request: HttpRequest, tenant_slug: str, source: str) -> Stored:
    tenant = Tenant.objects.filter(slug=tenant_slug, status=Tenant.Status.ACTIVE).first()
    if tenant is None:
        return Stored(None, None, JsonResponse(
            error_body("not_found", f"No store {tenant_slug!r}."), status=404))
    activate_tenant(tenant)
    # Read the stream ourselves: request.body would raise past Django's upload limit before
    # we could keep what arrived.
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    body = request.read(limit + 1)
    inbound = inbound_store(
        tenant, source=source, body=body[:limit], headers=dict(request.headers),
        query=request.META.get("QUERY_STRING", ""), remote_addr=request.META.get("REMOTE_ADDR"),
        truncated=len(body) > limit)
    if inbound.body_truncated:
        finish(inbound, InboundWebhook.Status.INVALID, "Body too large.")
        return Stored(tenant, inbound, JsonResponse(
            error_body("payload_too_large", f"Bodies are limited to {limit} bytes."), status=413))
    return Stored(tenant, inbound, None)


def finish(inbound: InboundWebhook, status: str, error: str = "", *, created: int = 0,
           event_id: str = "") -> None:
    inbound.status, inbound.error = status, error
    inbound.events_created = created
    fields = ["status", "error", "events_created"]
    if event_id:
        inbound.provider_event_id = event_id[:128]
        fields.append("provider_event_id")
    if status in (InboundWebhook.Status.PROCESSED, InboundWebhook.Status.DUPLICATE,
                  InboundWebhook.Status.IGNORED):
        inbound.processed_at = timezone.now()
        fields.append("processed_at")
    inbound.save(update_fields=fields)


def refusal_for(status: str, message: str) -> JsonResponse | None:
    """The 401/400 answer for a rejected or invalid body; None for the other outcomes."""
    if status not in ANSWERS:
        return None
    code, name = ANSWERS[status]
    return JsonResponse(error_body(name, message), status=code)


def lower_headers(inbound: InboundWebhook) -> dict[str, str]:
    return {k.lower(): v for k, v in (inbound.headers or {}).items()}
