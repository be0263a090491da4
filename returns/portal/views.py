"""The portal's pages (see the package docstring). Thin: the policy (returns/policy.py) judges,
the services write, `shell` frames the page; here the forms are read and the answer chosen.

Forms carry no CSRF token, as the tracking lookup's: the pages set no cookies, so there is no
session to ride; the grant and the request's token are the authority, and they are in the URL.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from config.views import shopper_page
from orders.models import Order
from orders.selectors import product_list
from tenants.context import tenant_scope
from tracking.selectors import number_key, order_lookup, shipment_order_id_for_token
from tracking.services import lookup_wait

from .. import services
from ..authorization import authorization_pdf
from ..models import (
    PHOTO_REASONS,
    CreatedVia,
    Resolution,
    ReturnMethod,
    ReturnPhoto,
    ReturnPolicy,
    ReturnReason,
    ReturnStatus,
)
from ..photos import MAX_PER_LINE, PhotoRefused, photo_clean
from ..policy import Pick, item_decide, policy_of, resolutions_allowed
from ..selectors import (
    OrderReturnFacts,
    order_return_facts,
    return_policy_get,
    return_request_by_token,
    return_request_get,
    shopper_zone,
)
from . import words
from .shell import (
    grant_make,
    grant_order_id,
    lang_query,
    page_frame,
    page_response,
    shopper_headers,
    store_for,
)

PICKS_SALT = "returns.portal.picks"
NOT_FOUND = _("We could not find an order with this number and this e-mail address or "
              "postcode. Check both against your order confirmation and try again.")
EXPIRED = _("This page has expired. Find your order again to start a return.")


class StartForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=64, strip=True)
    contact = forms.CharField(label=_("E-mail address or delivery postcode"), max_length=254,
                              strip=True)


# --- start: find the order ---------------------------------------------------------------

@shopper_page
@csrf_exempt
@require_http_methods(["GET", "POST"])
def return_start(request: HttpRequest, tenant_slug: str | None = None) -> HttpResponse:
    tenant = store_for(request, tenant_slug)
    with tenant_scope(tenant):
        frame = page_frame(request, tenant)
        with translation.override(frame["lang"]):
            context = {**frame, "form": StartForm(request.POST if request.method == "POST" else None)}
            if not frame["returns_enabled"] or return_policy_get(tenant) is None:
                return page_response(request, "returns/public/closed.html", context)
            token = request.GET.get("t", "")
            if request.method == "GET" and token:
                # The tracking page's "Start a return": its parcel's token opens its order.
                order_id = shipment_order_id_for_token(tenant, token)
                if order_id is not None:
                    return _to_new(request, frame, grant_make(tenant, order_id))
            status = 200
            if request.method == "POST":
                found = _find(request, tenant, frame, context)
                if isinstance(found, HttpResponse):
                    return found
                status = found
            return page_response(request, "returns/public/start.html", context, status=status)


def _find(request: HttpRequest, tenant, frame: dict, context: dict) -> int | HttpResponse:
    form = context["form"]
    if not form.is_valid():
        return 400
    number, contact = form.cleaned_data["number"], form.cleaned_data["contact"]
    # The tracking lookup's budget, shared: two doors do not double a guesser's tries.
    wait = lookup_wait(request, tenant.pk, number_key(number))
    if wait:
        context["error"] = ngettext(
            "Too many attempts. Please try again in %(minutes)d minute.",
            "Too many attempts. Please try again in %(minutes)d minutes.", wait) % {"minutes": wait}
        return 429
    found = order_lookup(number, contact)
    if found is None:
        context["error"] = NOT_FOUND
        return 200
    return _to_new(request, frame, grant_make(tenant, found.order_id))


def _to_new(request: HttpRequest, frame: dict, grant: str) -> HttpResponse:
    return shopper_headers(HttpResponseRedirect(
        f"{frame['portal']}new/{grant}/{lang_query(request)}", status=303))


# --- new: items, then resolution, method and photos, then the request ---------------------

@shopper_page
@csrf_exempt
@require_http_methods(["GET", "POST"])
def return_new(request: HttpRequest, grant: str, tenant_slug: str | None = None) -> HttpResponse:
    tenant = store_for(request, tenant_slug)
    with tenant_scope(tenant):
        order_id = grant_order_id(tenant, grant)
        order = (Order.objects.select_related("customer").filter(pk=order_id).first()
                 if order_id else None)
        frame = page_frame(request, tenant,
                           shopper_locale=order.customer.locale if order and order.customer else "")
        with translation.override(frame["lang"]):
            row = return_policy_get(tenant)
            if not frame["returns_enabled"] or row is None:
                return page_response(request, "returns/public/closed.html", frame)
            if order is None:
                return page_response(request, "returns/public/start.html",
                                     {**frame, "form": StartForm(), "error": EXPIRED}, status=410)
            now = timezone.now()
            facts = order_return_facts(tenant, order, now=now)
            page = _Page(request, tenant, order, facts, row, now, frame)
            step = request.POST.get("step") if request.method == "POST" else None
            if step == "confirm":
                return page.confirm()
            if step == "items":
                return page.items_posted()
            return page.items()


class _Page:
    """One order's return pages, in the shopper's language (the caller's override)."""

    def __init__(self, request, tenant, order: Order, facts: OrderReturnFacts, row: ReturnPolicy,
                 now: datetime, frame: dict):
        self.request, self.tenant, self.order, self.facts = request, tenant, order, facts
        self.row, self.policy, self.now, self.frame = row, policy_of(row, row.rules.all()), now, frame
        self.decisions = {item.line_item_id: item_decide(self.policy, facts.facts, item, now)
                          for item in facts.items}
        self.reasons = [(code, ReturnReason(code).label) for code in self.policy.reasons]

    # items ------------------------------------------------------------------------------
    def items(self, *, error: str = "", picked: dict | None = None, status: int = 200):
        rows = []
        for item in self.facts.items:
            decision = self.decisions[item.line_item_id]
            chosen = (picked or {}).get(item.line_item_id, {})
            rows.append({"id": item.line_item_id, "title": item.title,
                         "price": words.money(item.unit_price, self.facts.facts.currency),
                         "bought": item.quantity, "eligible": decision.eligible,
                         "why_not": decision.why_not_text,
                         "last_day": date_format(decision.last_day) if decision.last_day else "",
                         "quantities": list(range(0, item.returnable_quantity + 1)),
                         "quantity": chosen.get("quantity", 0),
                         "reason": chosen.get("reason", ""), "comment": chosen.get("comment", "")})
        return page_response(self.request, "returns/public/items.html", {
            **self.frame, "order_number": self.order.number, "rows": rows, "reasons": self.reasons,
            "any_eligible": any(r["eligible"] for r in rows), "error": error}, status=status)

    def _picked(self) -> dict[int, dict]:
        picked = {}
        for item in self.facts.items:
            key = item.line_item_id
            raw = self.request.POST.get(f"qty_{key}", "0")
            quantity = int(raw) if raw.isdigit() and len(raw) < 5 else -1
            if quantity:
                picked[key] = {"quantity": quantity,
                               "reason": self.request.POST.get(f"reason_{key}", "")[:24],
                               "comment": self.request.POST.get(f"comment_{key}", "")[:1000]}
        return picked

    def items_posted(self):
        picked = self._picked()
        lines = [services.LineRequest(key, p["quantity"], p["reason"], p["comment"])
                 for key, p in picked.items()]
        try:
            if not lines:
                raise services.ReturnRefused(code="no_items")
            options = self._options(lines)
        except services.ReturnRefused as refused:
            return self.items(error=self._words(refused), picked=picked, status=400)
        return self._confirm_page(picked, options)

    # confirm ----------------------------------------------------------------------------
    def _options(self, lines: list[services.LineRequest]) -> list[dict]:
        """Each resolution these lines allow, with its amounts (raises ReturnRefused)."""
        items = {item.line_item_id: item for item in self.facts.items}
        picks = [Pick(items[line.line_item_id], line.quantity, line.reason)
                 for line in lines if line.line_item_id in items]
        allowed = resolutions_allowed(self.policy, picks) if len(picks) == len(lines) else ()
        options = []
        for resolution in allowed or (Resolution.REFUND,):
            q = services.return_quote(self.tenant, self.order, lines, resolution, now=self.now)
            if resolution == Resolution.EXCHANGE and not self._variants(lines):
                continue  # nothing in stock to exchange for
            text, note = words.option_text(resolution, q, self.facts.facts.currency)
            options.append({"value": resolution, "text": text, "note": note,
                            "review": bool(q.review)})
        return options

    def _variants(self, lines) -> dict[int, list]:
        found = {}
        for line in lines:
            product = self.facts.lines[line.line_item_id].product
            if product is None:
                continue
            others = [p for p in product_list(self.tenant, category=product.category, in_stock=True)
                      .exclude(pk=product.pk).order_by("title")[:20]]
            if others:
                found[line.line_item_id] = [{"id": p.pk, "title": p.title} for p in others]
        return found

    def _confirm_page(self, picked: dict, options: list[dict], *, error: str = "",
                      status: int = 200, chosen: dict | None = None):
        lines = [services.LineRequest(k, p["quantity"], p["reason"]) for k, p in picked.items()]
        items = {item.line_item_id: item for item in self.facts.items}
        summary = [{"id": key, "title": items[key].title, "quantity": p["quantity"],
                    "reason": ReturnReason(p["reason"]).label,
                    "photo": p["reason"] in PHOTO_REASONS} for key, p in picked.items()]
        keep_only = [o["value"] for o in options] == [Resolution.KEEP_IT]
        return page_response(self.request, "returns/public/confirm.html", {
            **self.frame, "order_number": self.order.number, "summary": summary,
            "options": options, "variants": self._variants(lines),
            "picks": signing.dumps(picked, salt=PICKS_SALT, compress=True),
            "methods": [] if keep_only else self._methods(),
            "return_address": self._address(), "max_photos": MAX_PER_LINE,
            "chosen": chosen or {}, "error": error}, status=status)

    def _address(self) -> list[str]:
        return address_lines(self.row.return_address)

    def _methods(self) -> list[str]:
        """A prepaid label first when the store buys them (its EasyPost API key)."""
        if services.return_label_api_key(self.tenant):
            return [ReturnMethod.LABEL, ReturnMethod.SELF_SHIP]
        return [ReturnMethod.SELF_SHIP]

    def confirm(self):
        try:
            picked = {int(k): v for k, v in signing.loads(
                self.request.POST.get("picks", ""), salt=PICKS_SALT, max_age=7200).items()}
        except (signing.BadSignature, ValueError, AttributeError, TypeError):
            return self.items(error=str(EXPIRED), status=400)
        post, files = self.request.POST, self.request.FILES
        resolution = post.get("resolution", "")
        methods = self._methods()
        method = ReturnMethod.NONE if resolution == Resolution.KEEP_IT else post.get(
            "method", methods[0])
        try:
            lines = []
            for key, p in picked.items():
                photos = tuple(photo_clean(f) for f in files.getlist(f"photo_{key}")[:MAX_PER_LINE])
                exchange = post.get(f"exchange_{key}", "")
                lines.append(services.LineRequest(
                    key, p["quantity"], p["reason"], p["comment"], photos=photos,
                    exchange_product_id=int(exchange) if exchange.isdigit() else None))
            request = services.return_request_create(
                self.tenant, self.order.pk, lines, resolution=resolution, method=method,
                created_via=CreatedVia.SHOPPER, actor="shopper",
                locale=self.frame["lang"], now=self.now,
                label_available=ReturnMethod.LABEL in methods)
        except (services.ReturnRefused, PhotoRefused) as refused:
            try:
                options = self._options([services.LineRequest(k, p["quantity"], p["reason"])
                                         for k, p in picked.items()])
            except services.ReturnRefused as again:  # the items changed meanwhile
                return self.items(error=self._words(again), status=400)
            return self._confirm_page(picked, options, error=self._words(refused), status=400,
                                      chosen={"resolution": resolution, "method": method})
        return shopper_headers(HttpResponseRedirect(
            f"{self.frame['portal']}{request.public_token}/{lang_query(self.request)}", status=303))

    def _words(self, refused) -> str:
        decision = next((d for d in self.decisions.values() if d.why_not == refused.code), None)
        return words.refused_text(refused.code, decision.why_not_text if decision else "")


# --- status ----------------------------------------------------------------------------

def _request_for(request: HttpRequest, tenant_slug: str | None, token: str):
    tenant = store_for(request, tenant_slug)
    found = return_request_by_token(token)
    if found is None or found.tenant_id != tenant.pk:
        raise Http404("no such return")
    return tenant, found


@shopper_page
@require_safe
def return_status(request: HttpRequest, token: str, tenant_slug: str | None = None) -> HttpResponse:
    tenant, found = _request_for(request, tenant_slug, token)
    with tenant_scope(tenant):
        detail = return_request_get(tenant, found.pk)
        frame = page_frame(request, tenant, shopper_locale=detail.locale)
        zone = shopper_zone(tenant, detail.order)
        with translation.override(frame["lang"]):
            status = ReturnStatus(detail.status)
            keep = detail.method == ReturnMethod.NONE
            context = {
                **frame, "request": detail, "status_name": status.label,
                "next": words.KEEP_NEXT if keep and status == ReturnStatus.APPROVED else words.NEXT[status],
                "problem": status in (ReturnStatus.REJECTED, ReturnStatus.CANCELLED),
                "resolution": Resolution(detail.resolution).label,
                "method": ReturnMethod(detail.method).label,
                "amount": _amount(detail),
                "lines": [{"title": line.line_item.title, "quantity": line.quantity,
                           "reason": ReturnReason(line.reason).label,
                           "photos": [f"{frame['portal']}{detail.public_token}/photos/{p.pk}/"
                                      for p in line.photos.all()]}
                          for line in detail.lines.all()],
                **_label_context(detail, status),
                "authorization_url": f"{frame['portal']}{detail.public_token}/authorization/"
                if _authorization_offered(detail) else "",
                "timeline": [{"when": date_format(e.occurred_at.astimezone(zone), "j M"),
                              "iso": e.occurred_at.isoformat(),
                              "words": ReturnStatus(e.status).label if e.status else e.summary}
                             for e in detail.events.all() if e.public and e.status],
            }
            return page_response(request, "returns/public/status.html", context)


def _label_context(detail, status: ReturnStatus) -> dict:
    """What the status page says of the way back: the label (or why it is not there yet), or
    the address to send the parcel to."""
    waiting = status == ReturnStatus.APPROVED
    label = detail.method == ReturnMethod.LABEL
    gave_up = label and waiting and bool(detail.label_error) and detail.label_retry_at is None
    context: dict = {"label_url": detail.label_url if status == ReturnStatus.LABEL_READY else "",
                     "label_tracking": detail.label_tracking_number,
                     "label_note": "", "address": []}
    if label and waiting and not gave_up:
        context["label_note"] = words.LABEL_RETRYING if detail.label_error else words.LABEL_PREPARING
    elif gave_up:
        context["label_note"] = words.LABEL_GAVE_UP
    if (waiting and detail.method == ReturnMethod.SELF_SHIP) or gave_up:
        context["address"] = address_lines(detail.policy.return_address)
    return context


def _authorization_offered(detail) -> bool:
    """The printable authorisation goes in a parcel the shopper sends without our label."""
    return detail.method != ReturnMethod.NONE and not detail.label_tracking_number and \
        detail.status in (ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT)


@shopper_page
@require_safe
def return_authorization(request: HttpRequest, token: str,
                         tenant_slug: str | None = None) -> HttpResponse:
    """The printable return authorisation (a PDF with the status page's QR code), to the
    holder of the return's token only."""
    tenant, found = _request_for(request, tenant_slug, token)
    with tenant_scope(tenant):
        detail = return_request_get(tenant, found.pk)
        if not _authorization_offered(detail):
            raise Http404("no return authorisation for this return")
        frame = page_frame(request, tenant, shopper_locale=detail.locale)
        with translation.override(frame["lang"]):
            pdf = authorization_pdf(
                detail, shop_name=frame["shop_name"],
                status_url=request.build_absolute_uri(f"{frame['portal']}{detail.public_token}/"),
                address=address_lines(detail.policy.return_address))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{detail.number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    shopper_headers(response)
    response["Cache-Control"] = "private, no-store"
    return response


def _amount(detail) -> str:
    if detail.resolution == Resolution.STORE_CREDIT:
        return words.money(detail.credit_amount, detail.currency)
    if detail.resolution == Resolution.EXCHANGE:
        return ""
    return words.money(detail.refund_amount, detail.currency)


def address_lines(address: object) -> list[str]:
    found = address if isinstance(address, dict) else {}
    return [str(found[k]) for k in ("name", "address1", "address2", "postcode", "city",
                                    "country_code") if found.get(k)]


@shopper_page
@require_safe
def return_photo(request: HttpRequest, token: str, photo_id: int,
                 tenant_slug: str | None = None) -> HttpResponse:
    """A photo of the shopper's own request: only through its token (the dashboard has its
    own door for members)."""
    tenant, found = _request_for(request, tenant_slug, token)
    with tenant_scope(tenant):
        photo = ReturnPhoto.objects.filter(pk=photo_id, line__request=found).first()
        if photo is None:
            raise Http404("no such photo")
        with photo.image.open("rb") as image:  # re-encoded, a few hundred KB at most
            response = HttpResponse(image.read(), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    shopper_headers(response)
    response["Cache-Control"] = "private, no-store"
    return response

