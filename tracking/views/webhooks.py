"""The inbound webhook log: every body a carrier sent us, its outcome, and a Replay button for
the ones that failed (e.g. before the right secret was saved). Also "send a test event" from
Settings → Integrations, which lands here like a real delivery."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from tenants.access import access_scoped
from tenants.context import require_current_tenant
from tenants.inbound import Receipt, inbound_replay, unverified_refused
from tenants.models import InboundWebhook
from tenants.permissions import Perm
from tenants.views.base import can, dashboard_view
from tenants.views.paging import page_of

from ..carriers import ADAPTERS
from ..services import GENERIC_SOURCE
from ..webhook_samples import LABELS, webhook_test_send

SOURCES = [*((name, LABELS.get(name, name)) for name in ADAPTERS), ("shopify", "Shopify"),
           (GENERIC_SOURCE, "Event API")]
STATUS_TONE = {
    InboundWebhook.Status.PROCESSED: "success",
    InboundWebhook.Status.QUEUED: "primary",
    InboundWebhook.Status.RECEIVED: "primary",
    InboundWebhook.Status.IGNORED: "",
    InboundWebhook.Status.DUPLICATE: "",
    InboundWebhook.Status.REJECTED: "danger",
    InboundWebhook.Status.INVALID: "danger",
    InboundWebhook.Status.FAILED: "danger",
}
# What a retailer should make of each outcome, in words.
OUTCOME_WORDS = {
    InboundWebhook.Status.QUEUED: "Accepted: the events are being applied to your shipments.",
    InboundWebhook.Status.PROCESSED: "Accepted and applied to your shipments.",
    InboundWebhook.Status.IGNORED: "Accepted, but it is a kind of delivery we do not process.",
    InboundWebhook.Status.DUPLICATE: ("The signature is right. This delivery arrived before, so "
                                      "it was recognised as a duplicate and not applied twice."),
    InboundWebhook.Status.REJECTED: "Refused: the signature did not verify.",
    InboundWebhook.Status.INVALID: "Refused: the body could not be understood.",
}
BODY_SHOWN = 256 * 1024  # beyond this the page shows the start and says so


class WebhookFilter(forms.Form):
    status = forms.ChoiceField(required=False,
                               choices=[("", "Any outcome"), *InboundWebhook.Status.choices])
    source = forms.ChoiceField(required=False, choices=[("", "Any source"), *SOURCES])


@dashboard_view(Perm.ORDERS_VIEW)
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = WebhookFilter(request.GET or None)
    # The body and headers can be large: a list never loads them.
    inbound = InboundWebhook.objects.defer("body", "headers").order_by("-received_at", "-pk")
    if form.is_valid():
        inbound = inbound.filter(**{k: v for k, v in form.cleaned_data.items() if v})
    page = page_of(request, inbound)
    labels = dict(SOURCES)
    for row in page.rows:
        row.tone, row.source_label = STATUS_TONE.get(row.status, ""), labels.get(row.source, row.source)
    return render(request, "tracking/webhooks.html", {
        "form": form, "page": page, "nav_active": "shipments", "tab": "webhooks",
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "refused": [(labels.get(name, name), count)
                    for name, count in unverified_refused(require_current_tenant()).items()],
        "kept_per_hour": settings.WEBHOOK_UNVERIFIED_KEPT_PER_HOUR,
    })


def _body_text(body: bytes) -> tuple[str, bool]:
    """The body for people: pretty JSON when it parses, else the text as received. The
    template escapes it, so a hostile body is shown, never run."""
    shown = body[:BODY_SHOWN]
    try:
        return json.dumps(json.loads(shown), indent=2, ensure_ascii=False), True
    except (ValueError, UnicodeDecodeError):
        return shown.decode("utf-8", errors="replace"), False


def _masked_query(query: str) -> str:
    """Shippo's webhook token rides in the query string: it is a secret, and this page is
    open to roles that may not see secrets."""
    pairs = [(k, "••••••••" + v[-4:] if k == "token" and v else v)
             for k, v in parse_qsl(query, keep_blank_values=True)]
    return urlencode(pairs, safe="•")


@dashboard_view(Perm.ORDERS_VIEW)
def webhook_detail(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = access_scoped(InboundWebhook, request.tenant, inbound_id)
    body = bytes(inbound.body)
    text, is_json = _body_text(body)
    return render(request, "tracking/webhook_detail.html", {
        "inbound": inbound, "body_text": text, "is_json": is_json, "body_size": len(body),
        "body_cut": len(body) > BODY_SHOWN, "query": _masked_query(inbound.query),
        "headers": sorted(inbound.headers.items()),
        "source_label": dict(SOURCES).get(inbound.source, inbound.source),
        "tone": STATUS_TONE.get(inbound.status, ""), "can_replay": can(request, Perm.ORDERS_MANAGE),
        "is_test": "x-doorstep-test-event" in {k.lower() for k in inbound.headers},
        "nav_active": "shipments",
    })


def _say(request: HttpRequest, receipt: Receipt, prefix: str) -> None:
    words = OUTCOME_WORDS.get(receipt.status, InboundWebhook.Status(receipt.status).label)
    detail = f" {receipt.message}" if receipt.message and receipt.message not in words else ""
    ok = receipt.status not in (InboundWebhook.Status.REJECTED, InboundWebhook.Status.INVALID)
    (messages.success if ok else messages.error)(request, f"{prefix} {words}{detail}")


@require_POST
@dashboard_view(Perm.ORDERS_VIEW, manage=Perm.ORDERS_MANAGE)
def webhook_replay(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = access_scoped(InboundWebhook, request.tenant, inbound_id)
    try:
        receipt = inbound_replay(request.tenant, inbound.pk)
    except ApplicationError as exc:  # the generic API's parser raises for a bad batch
        messages.error(request, f"Replayed. Refused: {exc.message}")
    else:
        _say(request, receipt, "Replayed.")
    return redirect("tracking:webhook", inbound_id=inbound.pk)


@require_POST
@dashboard_view(Perm.CREDENTIALS_VIEW, manage=Perm.CREDENTIALS_MANAGE)
def webhook_test_event(request: HttpRequest, source: str) -> HttpResponse:
    back = reverse("dashboard:settings-integrations") + f"#{source}"
    if source not in ADAPTERS:
        messages.error(request, "There is no test event for this integration.")
        return redirect(back)
    try:
        sent = webhook_test_send(request.tenant, source)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    _say(request, sent.receipt, f"Test event sent from {LABELS[source]}.")
    return redirect("tracking:webhook", inbound_id=sent.inbound.pk)
