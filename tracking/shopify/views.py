"""`POST /webhooks/shopify/<tenant-slug>/`: raw first, then one of

    401 signature missing or wrong, or a shop domain this store is not connected to
    400 a verified body we cannot read (kept, listed in the inbound webhook log)
    413 larger than WEBHOOK_MAX_BODY_BYTES (the part that arrived is kept)
    204 a topic we do not process
    200 accepted (queued) or a repeat of a delivery we already have

Shopify gives up on a delivery after 5 s and retries non-2xx answers for hours, so everything
slow happens in the task; this view only stores, verifies and parses.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.api.errors import error_body
from tenants.context import activate_tenant
from tenants.models import Tenant

from .. import services
from ..models import InboundWebhook
from .processing import SOURCE, shopify_receive

_ERRORS = {
    InboundWebhook.Status.REJECTED: (401, "invalid_signature"),
    InboundWebhook.Status.INVALID: (400, "invalid_payload"),
}


@csrf_exempt
@require_POST
def shopify_webhook(request, tenant_slug: str):
    tenant = Tenant.objects.filter(slug=tenant_slug, status=Tenant.Status.ACTIVE).first()
    if tenant is None:
        return JsonResponse(error_body("not_found", f"No store {tenant_slug!r}."), status=404)
    activate_tenant(tenant)
    # Read the stream ourselves: request.body raises past Django's upload limit before we
    # could keep what arrived.
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    body = request.read(limit + 1)
    truncated = len(body) > limit
    inbound = services.inbound_store(
        tenant, source=SOURCE, body=body[:limit], headers=dict(request.headers),
        query=request.META.get("QUERY_STRING", ""), remote_addr=request.META.get("REMOTE_ADDR"),
        truncated=truncated)
    receipt = shopify_receive(tenant, inbound)
    if truncated:
        return JsonResponse(error_body("payload_too_large", f"Bodies are limited to {limit} bytes."),
                            status=413)
    if receipt.status in _ERRORS:
        status, code = _ERRORS[receipt.status]
        return JsonResponse(error_body(code, receipt.message, receipt.details), status=status)
    if receipt.status == InboundWebhook.Status.IGNORED:
        return HttpResponse(status=204)
    return JsonResponse({"received": inbound.pk, "status": receipt.status}, status=200)
