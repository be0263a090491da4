"""Carrier webhooks: `/webhooks/<source>/<tenant-slug>/`.

Answers, Sentry-style: 401 signature missing or wrong, 400 body we cannot parse, 413 too large,
204 a kind of delivery we ignore, 202 accepted (processed by a worker). Whatever the answer,
the body was stored first and is listed, with its outcome, in the inbound webhook log.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.api.errors import error_body
from tenants.context import activate_tenant
from tenants.models import Tenant
from tenants.webhook_tenants import tenant_credential_by_slug

from . import services
from .models import InboundWebhook

_ANSWERS = {
    InboundWebhook.Status.REJECTED: (401, "invalid_signature"),
    InboundWebhook.Status.INVALID: (400, "invalid_payload"),
}


@csrf_exempt
@require_POST
def carrier_webhook(request, tenant_slug: str, source: str):
    tenant, secrets = tenant_credential_by_slug(tenant_slug, source)
    if tenant is None:
        return JsonResponse(error_body("not_found", f"No store {tenant_slug!r}."), status=404)
    activate_tenant(tenant)
    # Read the stream ourselves: request.body would raise past Django's form-upload limit
    # before we could keep what arrived.
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    body = request.read(limit + 1)
    truncated = len(body) > limit
    if truncated:
        inbound = services.inbound_store(
            tenant, source=source, body=body[:limit], headers=dict(request.headers),
            query=request.META.get("QUERY_STRING", ""), remote_addr=request.META.get("REMOTE_ADDR"),
            truncated=True)
        inbound.status, inbound.error = InboundWebhook.Status.INVALID, "Body too large."
        inbound.save(update_fields=["status", "error"])
        return JsonResponse(error_body("payload_too_large", f"Bodies are limited to {limit} bytes."),
                            status=413)
    inbound, receipt = services.inbound_accept(
        tenant, source=source, body=body, headers=dict(request.headers),
        query=request.META.get("QUERY_STRING", ""), remote_addr=request.META.get("REMOTE_ADDR"),
        secrets=secrets)
    if receipt.status in _ANSWERS:
        status, code = _ANSWERS[receipt.status]
        return JsonResponse(error_body(code, receipt.message, receipt.details), status=status)
    if receipt.status == InboundWebhook.Status.IGNORED:
        return HttpResponse(status=204)
    return JsonResponse({"received": inbound.pk, "status": receipt.status}, status=202)


@csrf_exempt
@require_POST
def unknown_source_webhook(request, tenant_slug: str, source: str):
    """A POST to a webhook source we do not have (a typo in the URL pasted into a carrier's
    console, a carrier we have no adapter for): kept for inspection, answered with the list of
    sources that exist."""
    from .carriers import ADAPTERS

    known = sorted([*ADAPTERS, "shopify"])
    tenant = Tenant.objects.filter(slug=tenant_slug, status=Tenant.Status.ACTIVE).first()
    if tenant is not None:
        activate_tenant(tenant)
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        body = request.read(limit + 1)
        inbound = services.inbound_store(
            tenant, source=source[:32], body=body[:limit], headers=dict(request.headers),
            query=request.META.get("QUERY_STRING", ""), remote_addr=request.META.get("REMOTE_ADDR"),
            truncated=len(body) > limit)
        inbound.status = InboundWebhook.Status.INVALID
        inbound.error = f"No webhook source named {source!r}."
        inbound.save(update_fields=["status", "error"])
    return JsonResponse(error_body(
        "unknown_source", f"No webhook source named {source!r}; use one of {', '.join(known)}, "
        "or push events for other carriers to /api/v1/tracking-events/.", {"known": known}),
        status=404)
