"""The shopper tracking page and its recommendation click redirect. Thin: the cache, the
selectors and the presenting module do the work (see the package's docstring).

Every answer carries the page's privacy headers: noindex, no referrer (the token is in the
URL), a Content-Security-Policy that lets the browser load nothing from another host, and
framing by this site only (the dashboard's live preview).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.views.decorators.http import require_GET, require_safe
from redis.exceptions import RedisError

from config.csp import HEADER as CSP_HEADER
from config.csp import shopper_policy
from config.jinja import ENGINE
from config.utm import utm_added
from config.views import shopper_page
from recommendations.models import RecommendationClick
from recommendations.services import recommendation_click_record
from tenants.context import tenant_scope
from tenants.domains import host_serves

from ..pageviews import page_view_counter
from . import cache
from .languages import offered_languages, page_language
from .presenting import page_context
from .selectors import (
    TOKEN_RE,
    TrackingPageData,
    product_for_click,
    recommended_products,
    tracking_page_data,
)

PRIVATE_REVALIDATE = "private, no-cache"
logger = logging.getLogger(__name__)


def _privacy_headers(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    # Nothing from another host, no script: the page works without JavaScript, and the CSP
    # makes "no third-party request" a rule the browser enforces, whatever a brand field holds.
    response[CSP_HEADER] = shopper_policy(response.content)
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = PRIVATE_REVALIDATE
    return response


def _language_chooser(request: HttpRequest):
    requested = request.GET.get("lang")
    accept = request.headers.get("Accept-Language", "")

    def choose(meta: cache.Meta) -> str:
        return page_language(requested=requested, shopper=meta.shopper_locale,
                             accept_language=accept, shop_default=meta.shop_default,
                             offered=list(meta.offered))

    return choose


@shopper_page
@require_safe  # GET, and HEAD for link checkers (not counted as a view)
def tracking_page(request: HttpRequest, token: str) -> HttpResponse:
    """A parcel's page. Cached: no SQL. Not cached: one statement, and one more for the
    recommended products when the order has picks."""
    if not TOKEN_RE.match(token):
        raise Http404("no such parcel")
    choose = _language_chooser(request)

    def counter(tenant_id: int, shipment_id: int) -> tuple[str, str] | None:
        # Counted in the lookup's round trip, only where this host may show the page.
        if not host_serves(request, tenant_id):
            return None
        return page_view_counter(request, tenant_id, shipment_id)

    try:
        found: cache.Lookup | None = cache.page_lookup(token, choose, count=counter)
    except RedisError as exc:  # the cache is down: the shopper still gets the page
        logger.warning("tracking page: cache unreachable, rendering from the database (%s)",
                       exc)
        found = None
    if found is not None and found.page is not None and found.meta is not None:
        page = found.page
        if not host_serves(request, found.meta.tenant_id):  # another store's own domain
            raise Http404("no such parcel")
    else:
        data = tracking_page_data(token)
        if data is None or not host_serves(request, data.tenant.pk):
            raise Http404("no such parcel")
        with tenant_scope(data.tenant):  # the token's tenant: this page's edge
            view = (None if found is not None and found.counted
                    else page_view_counter(request, data.tenant.pk, data.shipment.pk))
            try:
                page = _render(data, found, choose, view=view)
            except RedisError as exc:  # gone since the lookup: served, not stored
                logger.warning("tracking page: cache unreachable, page not stored (%s)", exc)
                page = _render(data, None, choose, view=None)
    response = HttpResponse(page.body, content_type="text/html; charset=utf-8")
    response["Content-Language"] = page.lang
    response["Vary"] = "Accept-Language"
    return _privacy_headers(response)


def _render(data: TrackingPageData, found: cache.Lookup | None, choose,
            view: tuple[str, str] | None) -> cache.Page:
    """Render and store the page: one cache round trip after (which also counts the view),
    and one before for the tenant's generation when the lookup could not read it. With the
    cache down (`found` None) the page is rendered without its recommendations and not
    stored, and the view is not counted."""
    tenant_id, order_id = data.tenant.pk, data.order_id
    wants_picks = data.settings.show_recommendations and order_id is not None
    picks = found.picks if found is not None else None
    if found is not None:
        tenant_version = found.tenant_version_of(tenant_id) or cache.tenant_version(tenant_id)
        versions = (tenant_version, found.shipment_version)
    else:
        versions = ("", "")
    meta = cache.Meta(tenant_id=tenant_id, shipment_id=data.shipment.pk, order_id=order_id,
                      shopper_locale=data.customer_locale,
                      shop_default=data.tenant.default_locale,
                      offered=tuple(offered_languages(data.settings.languages)),
                      versions=versions)
    lang = choose(meta)
    recommendations = recommended_products(tenant_id, picks) if wants_picks and picks else []
    with translation.override(lang):
        body = render_to_string("tracking/public/page.html",
                                page_context(data, lang, recommendations=recommendations),
                                using=ENGINE)
    page = cache.Page(versions=versions, lang=lang, body=body.encode())
    if found is not None:
        cache.page_store(data.shipment.public_token, meta, page,
                         picks_wanted=wants_picks and picks is None, view=view)
    return page


@shopper_page
@require_GET
def recommendation_click(request: HttpRequest, token: str, product_id: int) -> HttpResponse:
    """A recommended product's link: the click is recorded for attribution (once per parcel,
    product and minute), then the shopper goes to the product's own page."""
    data = tracking_page_data(token)
    if data is None or not host_serves(request, data.tenant.pk):
        raise Http404("no such parcel")
    with tenant_scope(data.tenant):  # the token's tenant: this page's edge
        product = product_for_click(data.tenant.pk, product_id)
        if product is None or urlsplit(product.url).scheme.lower() not in ("http", "https"):
            raise Http404("no such product")
        recommendation_click_record(
            data.tenant, product_id=product.pk, order_id=data.order_id,
            customer_id=data.customer_id, surface=RecommendationClick.Surface.TRACKING_PAGE,
            reference=str(data.shipment.pk), clicked_at=timezone.now())
    response = HttpResponseRedirect(with_utm(product.url))
    return _privacy_headers(response)


def with_utm(url: str) -> str:
    return utm_added(url, {"utm_source": "doorstep", "utm_medium": "tracking_page",
                           "utm_campaign": "recommendation"})
