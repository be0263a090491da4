"""The inbound-webhook edge: one way in for every webhook, whichever app processes it.

    POST /webhooks/<source>/<tenant-slug>/ (or a source's own path) ─▶ inbound_edge
        store named by the URL (webhook_tenants: cached, with its secret for the source)
        read at most WEBHOOK_MAX_BODY_BYTES ── more: the part that arrived is kept, 413
        source.accept (verify and parse in memory, then ONE write of body and outcome)
          or: store the body raw, then source.receive (verify, parse, process or queue)
        answer: 401 signature, 400 unreadable (the API's error shape), 204 ignored,
                500 processing raised (stored, `failed`, replayable), else the source's 2xx
        unverified (wrong signature, unknown source, too large): kept up to
        WEBHOOK_UNVERIFIED_KEPT_PER_HOUR per store and source, then counted, not kept: 429

Each app declares its sources in its AppConfig.ready() with `source_register`: tracking the
carriers and Shopify, messaging SendGrid and Twilio. A source says how to receive a stored
body (verify, parse, then process or queue), which is also how the webhook log replays it,
and how it answers a body it took. Views stay thin: the URLs come from the registry
(tenants/webhook_urls.py), and an app writes no webhook view of its own.

Whatever the answer, the body was stored first (InboundWebhook, the archive below every app)
and is listed with its outcome in the webhook log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from config import db
from config.api.errors import error_body
from config.ratelimit import window_count, window_peek

from .context import activate_tenant
from .models import InboundWebhook, Tenant
from .webhook_tenants import tenant_credential_by_slug

logger = logging.getLogger(__name__)

Status = InboundWebhook.Status

# Headers never kept with an inbound body: they authenticate people, not providers.
_DROPPED_HEADERS = {"cookie", "authorization", "proxy-authorization"}

# The answer to a body refused after it was stored: the only copy of this table.
REFUSALS: dict[str, tuple[int, str]] = {
    Status.REJECTED: (401, "invalid_signature"),
    Status.INVALID: (400, "invalid_payload"),
}


@dataclass(frozen=True)
class Receipt:
    """What became of a stored body: its status (an InboundWebhook.Status), why, figures for
    the answer, and, for a source that answers with content of its own (Twilio's TwiML), the
    response to send when the body was taken."""

    status: str
    message: str = ""
    details: dict | None = None
    reply: HttpResponse | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RawBody:
    """A request's body and what came with it, as the edge read it."""

    body: bytes
    headers: Mapping[str, str]
    query: str = ""
    remote_addr: str | None = None
    truncated: bool = False


@dataclass(frozen=True)
class WebhookSource:
    """One endpoint that receives webhooks.

    key       the registry's name for it, kept on each row it stores (`endpoint`)
    name      the provider: stored as the row's `source`, and the name of its credential
    receive   verify, parse and process (or queue) a stored body; replaying runs it again
    accept    optional fast path for high-volume sources: verify and parse in memory and store
              body and outcome in one write: (tenant, source, raw, secrets) → (row, receipt)
    accepted  the status code of a body taken (the JSON answer names the row and its status)
    path      the URL, relative to the site root, with <slug:tenant_slug>; default
              webhooks/<name>/<tenant-slug>/; "" keeps a source off the URLs (the API's own)
    """

    key: str
    receive: Callable[[Tenant, InboundWebhook], Receipt]
    name: str = ""
    accept: Callable[[Tenant, WebhookSource, RawBody, Mapping[str, str] | None],
                     tuple[InboundWebhook, Receipt]] | None = None
    accepted: int = 200
    path: str | None = None

    @property
    def provider(self) -> str:
        return self.name or self.key

    @property
    def url_path(self) -> str:
        if self.path is None:
            return f"webhooks/{self.provider}/<slug:tenant_slug>/"
        return self.path


SOURCES: dict[str, WebhookSource] = {}


def source_register(source: WebhookSource) -> None:
    """From an AppConfig.ready(): this app receives webhooks at `source`. Registering the same
    key twice with another definition is a mistake, refused."""
    known = SOURCES.get(source.key)
    if known is not None and known != source:
        raise ValueError(f"Webhook source {source.key!r} is registered already.")
    SOURCES[source.key] = source


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}


def inbound_row(tenant: Tenant, source: WebhookSource | str, raw: RawBody, *,
                status: str = Status.RECEIVED, error: str = "",
                provider_event_id: str = "") -> InboundWebhook:
    """An unsaved archive row for `raw` (the fast path saves it with its outcome)."""
    key, name = ((source.key, source.provider) if isinstance(source, WebhookSource)
                 else (source, source))
    return InboundWebhook(
        tenant=tenant, source=name[:32], endpoint=key[:32], body=raw.body,
        headers=_kept(raw.headers), query=raw.query[:2000], remote_addr=raw.remote_addr,
        body_truncated=raw.truncated, status=status, error=error,
        provider_event_id=provider_event_id[:128])


def inbound_store(tenant: Tenant, *, source: WebhookSource | str, body: bytes,
                  headers: Mapping[str, str], query: str = "", remote_addr: str | None = None,
                  truncated: bool = False) -> InboundWebhook:
    """Raw first: the body is stored before anything else looks at it."""
    row = inbound_row(tenant, source, RawBody(body, headers, query, remote_addr, truncated))
    row.save()
    return row


def inbound_finish(inbound: InboundWebhook, status: str, error: str = "", *,
                   details: dict | None = None, created: int | None = None,
                   event_id: str = "") -> Receipt:
    """Record a stored body's outcome (one UPDATE) and return it as a receipt."""
    inbound.status, inbound.error = status, error
    fields = ["status", "error"]
    if created is not None:
        inbound.events_created = created
        fields.append("events_created")
    if event_id:
        inbound.provider_event_id = event_id[:128]
    fields.append("provider_event_id")
    if status in (Status.PROCESSED, Status.DUPLICATE, Status.IGNORED):
        inbound.processed_at = timezone.now()
        fields.append("processed_at")
    inbound.save(update_fields=fields)
    return Receipt(status, error, details)


def inbound_headers(inbound: InboundWebhook) -> dict[str, str]:
    """A stored body's headers with lower-case names, as signature checks look them up."""
    return {k.lower(): v for k, v in (inbound.headers or {}).items()}


def inbound_replay(tenant: Tenant, inbound_id: int) -> Receipt:
    """Run a stored body through its source again (e.g. after fixing a secret)."""
    from .access import access_scoped

    inbound = access_scoped(InboundWebhook, tenant, inbound_id)
    source = SOURCES.get(inbound.endpoint or inbound.source)
    if source is None:
        return inbound_finish(inbound, Status.INVALID,
                              f"No webhook source named {inbound.source!r}: nothing can process it.")
    return source.receive(tenant, inbound)


def _refusal(receipt: Receipt) -> JsonResponse | None:
    if receipt.status not in REFUSALS:
        return None
    code, name = REFUSALS[receipt.status]
    return JsonResponse(error_body(name, receipt.message, receipt.details), status=code)


def _read(request: HttpRequest) -> RawBody:
    # Read the stream ourselves: request.body would raise past Django's upload limit before
    # we could keep what arrived.
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    body = request.read(limit + 1)
    return RawBody(body[:limit], dict(request.headers), request.META.get("QUERY_STRING", ""),
                   request.META.get("REMOTE_ADDR"), truncated=len(body) > limit)


def _too_large() -> JsonResponse:
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    return JsonResponse(error_body("payload_too_large", f"Bodies are limited to {limit} bytes."),
                        status=413)


UNVERIFIED_WINDOW = 3600


def _unverified_key(tenant: Tenant, source: str) -> str:
    return f"webhook-unverified:{tenant.pk}:{source}"


def _unverified_refusal(tenant: Tenant, source: str) -> JsonResponse | None:
    """Count one more unverified body for (store, source) this hour: None while it may be
    kept, else the 429 to answer instead of keeping it (anyone may POST to a webhook URL;
    only what a store's secret signs may fill its database)."""
    used, left = window_count(_unverified_key(tenant, source), UNVERIFIED_WINDOW,
                              now=timezone.now())
    kept = settings.WEBHOOK_UNVERIFIED_KEPT_PER_HOUR
    if used <= kept:
        return None
    if used == kept + 1:
        logger.warning("unverified webhook bodies no longer kept this hour",
                       extra={"tenant_id": tenant.pk, "source": source, "kept": kept})
    response = JsonResponse(error_body(
        "too_many_unverified",
        f"More than {kept} deliveries that failed verification this hour: this one is "
        "refused and not kept. Check the webhook secret.",
        {"kept_per_hour": kept}), status=429)
    response["Retry-After"] = str(max(1, int(left)))
    return response


def _forget(inbound: InboundWebhook) -> None:
    """Delete a stored body that nothing refers to (one statement: a refused body brought no
    events, and events keep no constraint on the archive, see TrackingEvent.inbound)."""
    db.execute(f"DELETE FROM {InboundWebhook._meta.db_table} WHERE id = %s AND tenant_id = %s",  # noqa: S608
               [inbound.pk, inbound.tenant_id])


# Never purged: bodies whose work is not done (received, queued) or waits for a person (failed).
_REFUSED = (Status.REJECTED, Status.INVALID)
_DONE = (Status.PROCESSED, Status.DUPLICATE, Status.IGNORED)
PURGE_BATCH = 2000
PURGE_BATCHES_PER_RUN = 50


def inbound_purge(tenant: Tenant, *, now: datetime | None = None) -> tuple[int, int]:
    """The archive's retention, for the tenant in scope: refused bodies older than
    WEBHOOK_UNVERIFIED_RETENTION_DAYS and finished ones older than WEBHOOK_RETENTION_DAYS are
    deleted, except that a body which brought events is emptied (body, headers and query) and
    kept, so its events still say where they came from. Bounded work: batches of PURGE_BATCH
    rows, at most PURGE_BATCHES_PER_RUN of each kind per run (the next run goes on).
    Returns (deleted, emptied)."""
    now = now or timezone.now()
    refused_before = now - timedelta(days=settings.WEBHOOK_UNVERIFIED_RETENTION_DAYS)
    done_before = now - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    table = InboundWebhook._meta.db_table
    deleted = emptied = 0
    for statuses, before in ((_REFUSED, refused_before), (_DONE, done_before)):
        for _ in range(PURGE_BATCHES_PER_RUN):
            rows = db.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "  # noqa: S608
                "WHERE tenant_id = %s AND body_purged_at IS NULL AND received_at < %s "
                "AND status = ANY(%s) AND events_created = 0 ORDER BY received_at LIMIT %s) "
                "RETURNING id", [tenant.pk, before, [s.value for s in statuses], PURGE_BATCH])
            deleted += len(rows)
            if len(rows) < PURGE_BATCH:
                break
    for _ in range(PURGE_BATCHES_PER_RUN):
        batch = list(InboundWebhook.objects.filter(
            body_purged_at=None, received_at__lt=done_before, status__in=_DONE,
        ).order_by("received_at").values_list("pk", flat=True)[:PURGE_BATCH])
        emptied += InboundWebhook.objects.filter(pk__in=batch).update(
            body=b"", headers={}, query="", body_purged_at=now)
        if len(batch) < PURGE_BATCH:
            break
    if deleted or emptied:
        logger.info("webhook bodies purged", extra={"deleted": deleted, "emptied": emptied})
    return deleted, emptied


def unverified_refused(tenant: Tenant) -> dict[str, int]:
    """Unverified bodies refused without being kept this hour, by source (the webhook log
    says so: they are nowhere else)."""
    kept = settings.WEBHOOK_UNVERIFIED_KEPT_PER_HOUR
    counts = {}
    for name in sorted({s.provider for s in SOURCES.values()}):
        used = window_peek(_unverified_key(tenant, name), UNVERIFIED_WINDOW, now=timezone.now())
        if used > kept:
            counts[name] = used - kept
    return counts


def inbound_edge(request: HttpRequest, tenant_slug: str, key: str) -> HttpResponse:
    """The one webhook view (csrf-exempt, POST only: see webhook_urls.py)."""
    source = SOURCES[key]
    tenant, secrets = tenant_credential_by_slug(tenant_slug, source.provider)
    if tenant is None:
        return JsonResponse(error_body("not_found", f"No store {tenant_slug!r}."), status=404)
    activate_tenant(tenant)
    raw = _read(request)
    if raw.truncated:
        refusal = _unverified_refusal(tenant, source.provider)
        if refusal is not None:
            return refusal
        row = inbound_row(tenant, source, raw, status=Status.INVALID, error="Body too large.")
        row.save()
        return _too_large()
    inbound = None
    try:
        if source.accept is not None:
            inbound, receipt = source.accept(tenant, source, raw, secrets)
        else:
            inbound = inbound_row(tenant, source, raw)
            inbound.save()
            receipt = source.receive(tenant, inbound)
    except Exception as exc:  # noqa: BLE001 - kept, `failed`, answered 500 so it is retried
        # A bug, not a bad body (those are refused above): the body is kept in a final state,
        # visible in the webhook log and replayable once the bug is fixed; never left `received`.
        logger.exception("webhook processing failed", extra={"source": source.key})
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if inbound is None or inbound.pk is None:
            inbound_row(tenant, source, raw, status=Status.FAILED, error=error).save()
        else:
            inbound_finish(inbound, Status.FAILED, error)
        return JsonResponse(error_body("processing_failed", "Stored; processing failed."),
                            status=500)
    if receipt.status == Status.REJECTED:
        refusal = _unverified_refusal(tenant, source.provider)
        if refusal is not None:
            _forget(inbound)  # counted, not kept
            return refusal
    refusal = _refusal(receipt)
    if refusal is not None:
        return refusal
    if receipt.status == Status.IGNORED:
        return HttpResponse(status=204)
    if receipt.reply is not None:
        return receipt.reply
    return JsonResponse({"received": inbound.pk, "status": receipt.status,
                         **(receipt.details or {})}, status=source.accepted)


def unknown_source_edge(request: HttpRequest, tenant_slug: str, source: str) -> JsonResponse:
    """A POST to a webhook source we do not have (a typo in the URL pasted into a provider's
    console, a carrier we have no adapter for): kept for inspection, answered with the list of
    sources that exist."""
    known = sorted({s.provider for s in SOURCES.values() if s.url_path})
    tenant = Tenant.objects.filter(slug=tenant_slug, status=Tenant.Status.ACTIVE).first()
    if tenant is not None:
        activate_tenant(tenant)
        refusal = _unverified_refusal(tenant, source[:32])
        if refusal is not None:
            return refusal
        row = inbound_row(tenant, source[:32], _read(request), status=Status.INVALID,
                          error=f"No webhook source named {source!r}.")
        row.save()
    return JsonResponse(error_body(
        "unknown_source", f"No webhook source named {source!r}; use one of {', '.join(known)}, "
        "or push events for other carriers to /api/v1/tracking-events/.", {"known": known}),
        status=404)
