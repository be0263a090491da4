"""Settings → Integrations: one card per provider (the global catalogue in
`credentials.CREDENTIAL_SPECS`) with this store's installation of it: which fields are set
(masked), the webhook URL(s) to paste into the provider, and a form to change them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import ApplicationError

from .. import credentials as creds
from .. import services
from ..access import access_credential
from ..forms import CredentialForm
from ..models import Credential, Tenant
from ..permissions import Perm
from .base import add_error_to_form, can, dashboard_view


@dataclass(frozen=True)
class Provider:
    name: str
    kind: str
    purpose: str
    # (label, path under /webhooks/ with {slug}, where to paste it in the provider's console)
    webhooks: tuple[tuple[str, str, str], ...]
    docs: str = ""
    # A carrier source whose recorded sample body can be sent as a test (tracking app).
    test_event: bool = False


PROVIDERS: dict[str, Provider] = {p.name: p for p in (
    Provider("shopify", "Store", "Orders, customers and fulfilments from your Shopify store.",
             (("Webhook URL", "shopify/{slug}/",
               "Shopify admin → Settings → Notifications → Webhooks: add it for order and "
               "fulfillment events, format JSON."),)),
    Provider("easypost", "Carrier tracking", "Tracking updates for 100+ carriers via EasyPost, and "
                                                  "prepaid return labels bought with your API key.",
             (("Webhook URL", "easypost/{slug}/",
               "EasyPost → Account settings → Webhooks → Add webhook, with the secret below."),),
             test_event=True),
    Provider("aftership", "Carrier tracking", "Tracking updates for 1,000+ carriers via AfterShip.",
             (("Webhook URL", "aftership/{slug}/",
               "AfterShip → Settings → Notifications → Webhooks; copy its secret below."),),
             test_event=True),
    Provider("shippo", "Carrier tracking", "Tracking updates from Shippo.",
             (("Webhook URL", "shippo/{slug}/?token={shippo_token}",
               "Shippo → Settings → Webhooks: event track_updated. Shippo does not sign its "
               "webhooks, so the URL carries your webhook token."),),
             test_event=True),
    Provider("sendgrid", "E-mail", "Sends your shopper e-mails; deliveries, opens, clicks and "
                                   "bounces come back.",
             (("Event webhook URL", "sendgrid/{slug}/",
               "SendGrid → Settings → Mail Settings → Event Webhook: HTTP Post URL. Turn on "
               "signature verification and paste its key below."),)),
    Provider("twilio", "SMS", "Sends your shopper SMS; delivery reports and replies such as "
                              "STOP come back.",
             (("Status callback URL", "twilio/{slug}/status/",
               "Twilio → Messaging Service → Integration → Status callback URL."),
              ("Incoming messages URL", "twilio/{slug}/inbound/",
               "Twilio → Messaging Service → Integration → Incoming messages: send a webhook."))),
)}

SHIPPO_TOKEN_PLACEHOLDER = "YOUR_WEBHOOK_TOKEN"


def webhook_urls(provider: Provider, tenant: Tenant) -> list[dict[str, str]]:
    base = settings.PUBLIC_BASE_URL + "/webhooks/"
    return [
        {"label": label, "where": where,
         "url": base + path.format(slug=tenant.slug, shippo_token=SHIPPO_TOKEN_PLACEHOLDER)}
        for label, path, where in provider.webhooks
    ]


def _public_views(tenant: Tenant) -> dict[str, dict]:
    rows = Credential.objects.all()
    return {row.name: creds.credential_public_view(row.name, creds.decrypt_fields(row.ciphertext))
            for row in rows if row.name in creds.CREDENTIAL_SPECS}


def _saved_fields(name: str, public: dict[str, dict]) -> list[dict]:
    return [{"label": spec.label, "set": public.get(spec.name, {}).get("set", False),
             "value": public.get(spec.name, {}).get("value")}
            for spec in creds.CREDENTIAL_SPECS[name]]


def _cards(request: HttpRequest, bound: CredentialForm | None = None) -> list[dict]:
    tenant = request.tenant
    public = _public_views(tenant)
    cards = []
    for name, provider in PROVIDERS.items():
        form = bound if bound is not None and bound.provider == name else CredentialForm(
            name, public.get(name))
        cards.append({
            "name": name, "label": Credential.Name(name).label, "provider": provider,
            "connected": name in public, "saved": _saved_fields(name, public.get(name, {})),
            "form": form,
            "webhooks": webhook_urls(provider, tenant), "open": form is bound,
        })
    return cards


def _page(request: HttpRequest, bound: CredentialForm | None = None) -> HttpResponse:
    return render(request, "settings/integrations.html", {
        "cards": _cards(request, bound), "editable": can(request, Perm.CREDENTIALS_MANAGE),
        "shippo_placeholder": SHIPPO_TOKEN_PLACEHOLDER, "settings_active": "integrations",
    })


@dashboard_view(Perm.CREDENTIALS_VIEW)
def integrations(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _provider_or_404(provider: str) -> str:
    if provider not in PROVIDERS:
        raise Http404("no such provider")
    return provider


@require_POST
@dashboard_view(Perm.CREDENTIALS_VIEW, manage=Perm.CREDENTIALS_MANAGE)
def integration_set(request: HttpRequest, provider: str) -> HttpResponse:
    provider = _provider_or_404(provider)
    current = _public_views(request.tenant).get(provider)
    form = CredentialForm(provider, current, request.POST)
    if form.is_valid():
        try:
            services.credential_set(request.tenant, provider, form.cleaned_data, merge=True,
                                    actor=request.user)
        except ApplicationError as exc:
            add_error_to_form(form, exc)
        else:
            label = Credential.Name(provider).label
            messages.success(request, f"{label} is connected." if current is None
                             else f"{label} settings saved.")
            return redirect(reverse("dashboard:settings-integrations") + f"#{provider}")
    return _page(request, bound=form)


@require_POST
@dashboard_view(Perm.CREDENTIALS_VIEW, manage=Perm.CREDENTIALS_MANAGE)
def integration_remove(request: HttpRequest, provider: str) -> HttpResponse:
    credential = access_credential(request.tenant, provider)
    services.credential_delete(request.tenant, credential.name, actor=request.user)
    messages.success(request, f"{credential.get_name_display()} is disconnected; its secrets "
                              "are deleted. Webhooks from it are refused from now on.")
    return redirect("dashboard:settings-integrations")
