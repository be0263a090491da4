"""The lookup's two doors: /s/<tenant-slug>/track/ on Doorstep's address, /track/ on the
store's own tracking domain (tenants.domains). Both run `_lookup` in the store's scope.

No CSRF token: the form changes nothing and signs nobody in, and the shopper pages set no
cookies (their footer says so); the rate limits are what stand between a guesser and the
numbers. Answers are never cached anywhere (they hold the parcels' tokens).
"""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.csp import HEADER as CSP_HEADER
from config.csp import shopper_policy
from config.jinja import ENGINE
from config.views import shopper_page
from tenants.context import tenant_scope
from tenants.models import Tenant
from tenants.services import brand_get

from ..public import words
from ..public.languages import offered_languages, page_language
from ..public.presenting import layout_context, status_context
from ..selectors import tracking_page_settings_get
from ..statuses import TrackingStatus
from .limits import lookup_wait
from .selectors import MAX_CONTACT, MAX_NUMBER, number_key, order_lookup, parcel_lookup

NOT_FOUND_ORDER = _("We could not find an order with this number and this e-mail address or "
                    "postcode. Check both against your order confirmation and try again.")
NOT_FOUND_PARCEL = _("We could not find a parcel with this tracking number. Looking for an "
                     "order? Enter its number with your e-mail address or postcode.")


class LookupForm(forms.Form):
    number = forms.CharField(label=_("Order number or tracking number"), max_length=MAX_NUMBER,
                             strip=True)
    contact = forms.CharField(
        label=_("E-mail address or delivery postcode"), max_length=MAX_CONTACT, required=False,
        strip=True,
        help_text=_("Needed for an order number; leave it empty for a tracking number."))


@shopper_page
@csrf_exempt
@require_http_methods(["GET", "POST"])
def tracking_lookup(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    tenant = Tenant.objects.filter(slug=tenant_slug, status=Tenant.Status.ACTIVE).first()
    if tenant is None:
        raise Http404("no such store")
    return _lookup(request, tenant)


@shopper_page
@csrf_exempt
@require_http_methods(["GET", "POST"])
def domain_tracking_lookup(request: HttpRequest) -> HttpResponse:
    """/track/ on a store's tracking domain: the Host named the store (tenants.domains)."""
    tenant = Tenant.objects.filter(pk=request.host_tenant_id,  # type: ignore[attr-defined]
                                   status=Tenant.Status.ACTIVE).first()
    if tenant is None:
        raise Http404("no such store")
    return _lookup(request, tenant)


def _lookup(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    with tenant_scope(tenant):
        brand, page_settings = brand_get(tenant), tracking_page_settings_get(tenant)
        lang = page_language(requested=request.GET.get("lang"), shopper=None,
                             accept_language=request.headers.get("Accept-Language", ""),
                             shop_default=tenant.default_locale,
                             offered=offered_languages(page_settings.languages))
        with translation.override(lang):
            context = {**layout_context(tenant, brand, lang, page_settings.languages),
                       "form": LookupForm(request.POST if request.method == "POST" else None)}
            status = _answer(request, tenant, lang, context)
            if isinstance(status, HttpResponse):
                return _headers(status)
            response = render(request, "tracking/public/lookup.html", context, status=status,
                              using=ENGINE)
            response["Content-Language"] = lang
            return _headers(response)


def _answer(request: HttpRequest, tenant: Tenant, lang: str,
            context: dict) -> int | HttpResponse:
    """Fill `context` with the answer to a POST; the status code, or a redirect."""
    form = context["form"]
    if request.method != "POST" or not form.is_valid():
        return 200 if request.method != "POST" else 400
    number, contact = form.cleaned_data["number"], form.cleaned_data["contact"]
    wait = lookup_wait(request, tenant.pk, number_key(number))
    if wait:
        context["error"] = ngettext(
            "Too many attempts. Please try again in %(minutes)d minute.",
            "Too many attempts. Please try again in %(minutes)d minutes.", wait) % {
            "minutes": wait}
        return 429
    if contact:
        found = order_lookup(number, contact)
        if found is None:
            context["error"] = NOT_FOUND_ORDER
        elif len(found.parcels) == 1:
            return HttpResponseRedirect(_page_url(request, found.parcels[0].public_token), status=303)
        else:
            context["order"] = {"number": found.number, "parcels": [
                {"url": _page_url(request, parcel.public_token), "carrier": parcel.carrier,
                 "tracking_number": parcel.tracking_number,
                 "status": _status_name(parcel.status, delayed=parcel.delayed)}
                for parcel in found.parcels], "travels_in": ngettext(
                "It travels in %(counter)s parcel.", "It travels in %(counter)s parcels.",
                len(found.parcels)) % {"counter": len(found.parcels)}}
        return 200
    data = parcel_lookup(number)
    if data is None:
        context["error"] = NOT_FOUND_PARCEL
    else:
        # The shop's time zone, not the shopper's: nothing of the shopper is shown here.
        context.update(status_context(data, lang, zone=_zone(tenant.timezone)), parcel=True)
    return 200


def _page_url(request: HttpRequest, token: str) -> str:
    """The parcel's page on the host the shopper is on, in the language they chose here."""
    query = urlencode({"lang": request.GET["lang"]}) if request.GET.get("lang") else ""
    return f"/t/{token}/" + (f"?{query}" if query else "")


def _status_name(status: str, *, delayed: bool) -> str:
    if delayed and status != TrackingStatus.DELIVERED:
        return str(words.DELAYED_HEADLINE)
    known = TrackingStatus(status) if status in TrackingStatus.values else TrackingStatus.UNKNOWN
    return str(words.STATUS_NAMES[known])


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _headers(response: HttpResponse) -> HttpResponse:
    """The tracking page's privacy headers; never stored (answers hold parcels' tokens)."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response[CSP_HEADER] = shopper_policy(response.content)
    response["Cache-Control"] = "no-store"
    return response
