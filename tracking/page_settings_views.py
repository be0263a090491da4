"""Settings → Tracking page: the apology offer, which blocks the shopper's page shows, the
returns button and the languages offered, beside a live preview of the real page for one of
the store's own parcels, at phone and at laptop width.

    GET/POST /settings/tracking-page/           the form (tracking_page_settings_update)
    GET /settings/tracking-page/preview/?shipment=<id>&<form fields>
        the real page (templates/jinja2/tracking/public/page.html, tracking.public.presenting) for
        that parcel, with the settings as the form has them (saved or not): the two iframes
        follow the form as it changes (static/js/tracking-page-preview.js), before a save.
        Nothing is cached and no page view is counted.
"""

from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_sameorigin

from config.csp import HEADER as CSP_HEADER
from config.csp import shopper_policy
from config.errors import ApplicationError
from config.jinja import ENGINE
from tenants.access import access_scoped
from tenants.permissions import Perm
from tenants.views.base import DashboardRequest, add_error_to_form, can, dashboard_view

from .models import Shipment, TrackingPageSettings
from .public import cache as page_cache
from .public.languages import offered_languages, page_language
from .public.presenting import page_context
from .public.selectors import recommended_products, tracking_page_data
from .selectors import tracking_page_settings_get
from .services.page_settings import (
    APOLOGY_CODE_MAX,
    APOLOGY_TEXT_MAX,
    tracking_page_settings_update,
)
from .statuses import TrackingStatus

PREVIEW_CHOICES = 25  # recent parcels offered for the preview


class TrackingPageForm(forms.Form):
    apology_text = forms.CharField(
        label="Apology", required=False, max_length=APOLOGY_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "We're sorry your parcel is late. "
                                                               "Here is 10% off your next order."}),
        help_text="Shown only to shoppers whose parcel is late or has a problem. Leave empty "
                  "for none.")
    apology_code = forms.CharField(
        label="Discount code", required=False, max_length=APOLOGY_CODE_MAX,
        widget=forms.TextInput(attrs={"placeholder": "SORRY10", "spellcheck": "false"}),
        help_text="Shown with the apology, easy to copy.")
    show_items = forms.BooleanField(label="What is in the parcel", required=False,
                                    help_text="Pictures, names and how-to links of the items.")
    show_recommendations = forms.BooleanField(
        label="Recommendations", required=False,
        help_text="Products that go well with the order; clicks are counted for attribution.")
    show_help = forms.BooleanField(label="Help and contact", required=False,
                                   help_text="Your help page, support e-mail and phone "
                                             "(Settings → Brand).")
    returns_enabled = forms.BooleanField(
        label="“Start a return” button", required=False,
        help_text="On delivered parcels, to your returns portal. Turn on once you take returns "
                  "through Doorstep.")
    languages = forms.MultipleChoiceField(
        label="Languages offered", choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        help_text="The page speaks the shopper's language when it is one of these, else your "
                  "store's default. Choosing all also offers languages we add later.")

    @classmethod
    def for_settings(cls, row: TrackingPageSettings, data=None) -> TrackingPageForm:
        initial = {name: getattr(row, name) for name in (
            "apology_text", "apology_code", "show_items", "show_recommendations", "show_help",
            "returns_enabled")}
        initial["languages"] = offered_languages(row.languages)
        return cls(data, initial=initial)


def _preview_shipments(tenant) -> list[Shipment]:
    """The store's recent parcels, delivered ones and ones with a problem first (what most of
    the page's blocks need), for the preview's choice."""
    rank = Case(When(status=TrackingStatus.DELIVERED, then=Value(0)),
                When(status=TrackingStatus.EXCEPTION, then=Value(1)), default=Value(2),
                output_field=IntegerField())
    return list(Shipment.objects.select_related("order").annotate(rank=rank)
                .order_by("rank", "-created_at", "-pk")[:PREVIEW_CHOICES])


@dashboard_view(Perm.BRAND_VIEW, manage=Perm.BRAND_MANAGE)
def tracking_page_settings(request: DashboardRequest) -> HttpResponse:
    tenant = request.tenant
    current = tracking_page_settings_get(tenant)
    form = TrackingPageForm.for_settings(current, request.POST if request.method == "POST"
                                         else None)
    editable = can(request, Perm.BRAND_MANAGE)
    if request.method == "POST" and form.is_valid():
        try:
            tracking_page_settings_update(tenant, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_error_to_form(form, exc)
        else:
            messages.success(request, "Tracking page saved. Shoppers see it from now on.")
            return redirect("tracking-settings:tracking-page")
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    shipments = _preview_shipments(tenant)
    chosen = request.GET.get("shipment", "")
    preview = next((s for s in shipments if str(s.pk) == chosen), shipments[0] if shipments
                   else None)
    return render(request, "settings/tracking_page.html", {
        "form": form, "editable": editable, "settings_active": "tracking-page",
        "shipments": shipments, "preview": preview,
    })


def _preview_settings(request: HttpRequest, saved: TrackingPageSettings) -> TrackingPageSettings:
    """The settings as the form has them now (the query string), else as saved."""
    if "preview" not in request.GET:
        return saved
    form = TrackingPageForm(request.GET)
    form.is_valid()  # invalid fields fall back to what is saved
    data = form.cleaned_data
    return TrackingPageSettings(
        tenant_id=saved.tenant_id, apology_text=data.get("apology_text", saved.apology_text),
        apology_code=data.get("apology_code", saved.apology_code),
        show_items=data.get("show_items", saved.show_items),
        show_recommendations=data.get("show_recommendations", saved.show_recommendations),
        show_help=data.get("show_help", saved.show_help),
        returns_enabled=data.get("returns_enabled", saved.returns_enabled),
        languages=data.get("languages") or saved.languages)


@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})  # the settings page frames it
@dashboard_view(Perm.BRAND_VIEW)
def tracking_page_preview(request: DashboardRequest) -> HttpResponse:
    """The shopper's page for one of the store's parcels, rendered now with the settings the
    form shows: the same template and words as /t/<token>/, without its cache."""
    tenant = request.tenant
    shipments = _preview_shipments(tenant) if "shipment" not in request.GET else None
    if shipments is not None and not shipments:
        return render(request, "settings/tracking_page_empty.html", status=404)
    shipment = (shipments[0] if shipments is not None
                else access_scoped(Shipment, tenant, request.GET["shipment"]))
    data = tracking_page_data(shipment.public_token)
    if data is None:  # the store is not active: its pages are not shown to anyone
        return render(request, "settings/tracking_page_empty.html", status=404)
    data.settings = _preview_settings(request, data.settings)
    lang = page_language(requested=request.GET.get("lang"), shopper=data.customer_locale,
                         accept_language="", shop_default=data.tenant.default_locale,
                         offered=offered_languages(data.settings.languages))
    recommendations = []
    if data.settings.show_recommendations and data.order_id:
        picks = page_cache.picks_get(data.shipment.public_token)
        if picks:
            recommendations = recommended_products(tenant.pk, picks)
        elif picks is None:
            page_cache.picks_want(tenant.pk, data.order_id)  # as the page does: shown later
    with translation.override(lang):
        body = render_to_string("tracking/public/page.html",
                                page_context(data, lang, recommendations=recommendations),
                                using=ENGINE)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response[CSP_HEADER] = shopper_policy(response.content)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response
