"""What every portal page shares: the store from the URL or the Host, the order grant, the
language, the tracking page's look and headers."""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string

from config.csp import HEADER as CSP_HEADER
from config.csp import shopper_policy
from config.jinja import ENGINE
from tenants.domains import host_serves
from tenants.models import Tenant
from tenants.services import brand_get
from tracking.public.languages import offered_languages, page_language
from tracking.public.presenting import layout_context
from tracking.selectors import tracking_page_settings_get

GRANT_SALT = "returns.portal.grant"
GRANT_MAX_AGE = 2 * 3600  # long enough to find the receipt and take photos


def store_for(request: HttpRequest, tenant_slug: str | None) -> Tenant:
    """The active store the URL's slug names (Doorstep's host) or the Host names (the store's
    own domain, where a slug must be the store's own); 404 otherwise."""
    host_tenant_id = getattr(request, "host_tenant_id", None)
    stores = Tenant.objects.filter(status=Tenant.Status.ACTIVE)
    tenant = (stores.filter(slug=tenant_slug).first() if tenant_slug
              else stores.filter(pk=host_tenant_id).first() if host_tenant_id else None)
    if tenant is None or not host_serves(request, tenant.pk):
        raise Http404("no such store")
    return tenant


def portal_base(request: HttpRequest, tenant: Tenant) -> str:
    """Where the portal lives on the host the shopper is on."""
    if getattr(request, "host_tenant_id", None) is not None:
        return "/returns/"
    return f"/s/{tenant.slug}/returns/"


def grant_make(tenant: Tenant, order_id: int) -> str:
    return signing.dumps({"t": tenant.pk, "o": order_id}, salt=GRANT_SALT, compress=True)


def grant_order_id(tenant: Tenant, grant: str) -> int | None:
    """The order a grant opens, if it is this store's, signed by us and fresh."""
    try:
        value = signing.loads(grant, salt=GRANT_SALT, max_age=GRANT_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(value, dict) or value.get("t") != tenant.pk:
        return None
    order_id = value.get("o")
    return order_id if isinstance(order_id, int) else None


def page_frame(request: HttpRequest, tenant: Tenant, *, shopper_locale: str = "") -> dict:
    """base.html's context in the language the page speaks (call render inside
    translation.override(frame["lang"]))."""
    page_settings = tracking_page_settings_get(tenant)
    lang = page_language(requested=request.GET.get("lang"), shopper=shopper_locale or None,
                         accept_language=request.headers.get("Accept-Language", ""),
                         shop_default=tenant.default_locale,
                         offered=offered_languages(page_settings.languages))
    return {**layout_context(tenant, brand_get(tenant), lang, page_settings.languages),
            "returns_enabled": page_settings.returns_enabled,
            "portal": portal_base(request, tenant)}


def page_response(request: HttpRequest, template: str, context: dict, *,
                  status: int = 200) -> HttpResponse:
    response = HttpResponse(render_to_string(template, context, request=request, using=ENGINE),
                            status=status)
    response["Content-Language"] = context["lang"]
    return shopper_headers(response)


R = TypeVar("R", bound=HttpResponseBase)


def shopper_headers(response: R) -> R:
    """The tracking page's privacy headers; never stored (the pages hold tokens)."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response[CSP_HEADER] = shopper_policy(getattr(response, "content", b""))  # none: streamed
    response["Cache-Control"] = "no-store"
    return response


def lang_query(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "")
    return f"?lang={lang}" if lang in dict(settings.LANGUAGES) else ""
