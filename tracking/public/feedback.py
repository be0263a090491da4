"""The delivery rating on the tracking page: `_feedback.html` (a form in the page, no script)
posts to /t/<token>/feedback/.

    POST /t/<token>/feedback/ ─▶ tracking.services.delivery_feedback_save
        saved      ─▶ 303 to /t/<token>/#rate (the page, forgotten from the cache, shows it)
        not valid  ─▶ 400: this page, the form again with the shopper's words and what to fix
        not open / closed ─▶ 409: this page, saying why
    GET /t/<token>/feedback/ ─▶ the same form on a page of its own (what a POST error shows)

No CSRF token: the page is cached and shared by everyone holding the link, and it sets no
cookie, so there is no session for a forged request to ride on. What authorises a rating is
the unguessable token in the URL, which a forging site would have to know (and could then
post with directly). A browser's cross-site POST is still refused (Sec-Fetch-Site / Origin).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.errors import ValidationFailed
from config.jinja import ENGINE
from config.views import shopper_page
from tenants.context import tenant_scope
from tenants.domains import host_serves

from ..services import FeedbackClosed, FeedbackNotOpen, delivery_feedback_save
from ..statuses import TrackingStatus
from .languages import offered_languages, page_language
from .presenting import layout_context, rating_form, shopper_zone
from .selectors import TOKEN_RE, TrackingPageData, tracking_page_data
from .views import _privacy_headers

# Rendered in the page's language (lazy: translated when the page is).
CROSS_SITE = _("Please rate your delivery on the tracking page itself.")
BAD_RATING = _("Choose from 1 to 5 stars.")
LONG_COMMENT = _("Please keep your comment to 2,000 characters.")


def _language(request: HttpRequest, data: TrackingPageData) -> str:
    return page_language(requested=request.GET.get("lang"), shopper=data.customer_locale,
                         accept_language=request.headers.get("Accept-Language", ""),
                         shop_default=data.tenant.default_locale,
                         offered=offered_languages(data.settings.languages))


def _cross_site(request: HttpRequest) -> bool:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    return bool(origin) and origin != "null" and urlsplit(origin).netloc != request.get_host()


@shopper_page
@csrf_exempt  # see the module's docstring: the token in the URL is the credential
@require_http_methods(["GET", "POST"])
def delivery_feedback(request: HttpRequest, token: str) -> HttpResponse:
    if not TOKEN_RE.match(token):
        raise Http404("no such parcel")
    data = tracking_page_data(token)
    if data is None or not host_serves(request, data.tenant.pk):  # another store's domain
        raise Http404("no such parcel")
    lang = _language(request, data)
    if request.method == "GET":
        return _page(data, lang)
    if _cross_site(request):
        return _page(data, lang, status=403, error=CROSS_SITE)
    rating, comment = request.POST.get("rating", ""), request.POST.get("comment", "")
    try:
        with tenant_scope(data.tenant):
            delivery_feedback_save(data.tenant, data.shipment,
                                   rating=int(rating) if rating.isdigit() else rating,
                                   comment=comment)
    except ValidationFailed as exc:
        error = BAD_RATING if "rating" in exc.details else LONG_COMMENT
        return _page(data, lang, status=400, error=error, rating=rating, comment=comment)
    except (FeedbackNotOpen, FeedbackClosed):  # the page says which: not delivered, or closed
        return _page(data, lang, status=409)
    query = f"?lang={lang}" if request.GET.get("lang") else ""
    return _privacy_headers(HttpResponseRedirect(f"/t/{token}/{query}#rate", status=303))


def _page(data: TrackingPageData, lang: str, *, status: int = 200, error: object = "",
          rating: str | None = None, comment: str | None = None) -> HttpResponse:
    """The rating on a page of its own: the form (with the shopper's words and what to fix
    after a failed POST), or why there is nothing to rate."""
    feedback = data.feedback
    context = {
        **layout_context(data.tenant, data.brand, lang, data.settings.languages),
        "token": data.shipment.public_token,
        "feedback": feedback,
        "delivered": data.shipment.status == TrackingStatus.DELIVERED,
        "error": error,
        "standalone": True,
    }
    with translation.override(lang):
        context["rate"] = rating_form(feedback, shopper_zone(data), rating=rating or "",
                                      comment=comment or "")
        body = render_to_string("tracking/public/feedback.html", context, using=ENGINE)
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    response["Content-Language"] = lang
    return _privacy_headers(response)
