"""The retailer's Returns area: the queue (filters: status, reason, needs review, age), a
return's page with its lines, photos and whole timeline, and the steps a returns team takes
(approve, reject with a reason, mark received per line with its condition, record the refund,
credit or exchange). Thin: the services decide; their refusals come back as flash messages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from tenants.permissions import Perm
from tenants.services import brand_get
from tenants.views.base import DashboardRequest, dashboard_view, member_actor
from tenants.views.paging import page_of

from . import services
from .authorization import authorization_pdf
from .models import ItemCondition, ReturnPhoto, ReturnReason, ReturnStatus
from .portal.views import address_lines
from .selectors import QUEUE_AGES as AGES
from .selectors import return_request_get, return_request_list, return_status_url


@dashboard_view(Perm.RETURNS_VIEW)
def return_list(request: DashboardRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    reason = request.GET.get("reason", "")
    age = request.GET.get("age", "")
    review = request.GET.get("review") == "1"
    before = timezone.now() - timedelta(days=AGES[age]) if age in AGES else None
    rows = return_request_list(
        request.tenant, status=status if status in ReturnStatus.values else None,
        reason=reason if reason in ReturnReason.values else None,
        needs_review=True if review else None, created_before=before)
    return render(request, "returns/dashboard/list.html", {
        "page": page_of(request, rows), "nav_active": "returns",
        "statuses": ReturnStatus.choices, "reasons": ReturnReason.choices, "ages": list(AGES),
        "status": status, "reason": reason, "age": age, "review": review,
    })


@dashboard_view(Perm.RETURNS_VIEW)
def return_detail(request: DashboardRequest, request_id: int) -> HttpResponse:
    found = return_request_get(request.tenant, request_id)
    return render(request, "returns/dashboard/detail.html", {
        "r": found, "nav_active": "returns", "conditions": ItemCondition.choices,
        "lines": list(found.lines.all()), "events": list(found.events.all()),
        "can_decide": found.status in (ReturnStatus.REQUESTED, ReturnStatus.NEEDS_REVIEW),
        "can_reject": found.status in (ReturnStatus.REQUESTED, ReturnStatus.NEEDS_REVIEW,
                                       ReturnStatus.APPROVED, ReturnStatus.LABEL_READY),
        "can_receive": found.status in (ReturnStatus.APPROVED, ReturnStatus.LABEL_READY,
                                        ReturnStatus.IN_TRANSIT) and found.method != "none",
        "can_settle": found.status == ReturnStatus.RECEIVED or (
            found.status == ReturnStatus.APPROVED and found.method == "none"),
        "settle_amount": found.credit_amount if found.resolution == "store_credit"
        else found.refund_amount,
    })


def _done(request: DashboardRequest, request_id: int, action) -> HttpResponse:
    try:
        changed = action()
        flash.success(request, f"Return {changed.number}: {changed.get_status_display()}.")
    except ApplicationError as exc:
        flash.error(request, exc.message)
    return redirect(reverse("returns:detail", args=[request_id]))


@require_POST
@dashboard_view(Perm.RETURNS_VIEW, manage=Perm.RETURNS_MANAGE)
def return_approve(request: DashboardRequest, request_id: int) -> HttpResponse:
    found = return_request_get(request.tenant, request_id)
    return _done(request, found.pk, lambda: services.return_approve(
        request.tenant, found.pk, actor=member_actor(request)))


@require_POST
@dashboard_view(Perm.RETURNS_VIEW, manage=Perm.RETURNS_MANAGE)
def return_reject(request: DashboardRequest, request_id: int) -> HttpResponse:
    found = return_request_get(request.tenant, request_id)
    return _done(request, found.pk, lambda: services.return_reject(
        request.tenant, found.pk, reason=request.POST.get("reason", "")[:500],
        actor=member_actor(request)))


@require_POST
@dashboard_view(Perm.RETURNS_VIEW, manage=Perm.RETURNS_MANAGE)
def return_receive(request: DashboardRequest, request_id: int) -> HttpResponse:
    found = return_request_get(request.tenant, request_id)
    lines = {}
    for line in found.lines.all():
        raw = request.POST.get(f"received_{line.pk}", str(line.quantity))
        quantity = int(raw) if raw.isdigit() and len(raw) < 6 else -1
        lines[line.pk] = (quantity, request.POST.get(f"condition_{line.pk}", "")[:16])
    return _done(request, found.pk, lambda: services.return_receive(
        request.tenant, found.pk, lines=lines, actor=member_actor(request)))


@require_POST
@dashboard_view(Perm.RETURNS_VIEW, manage=Perm.RETURNS_MANAGE)
def return_settle(request: DashboardRequest, request_id: int) -> HttpResponse:
    found = return_request_get(request.tenant, request_id)
    try:
        amount = Decimal(request.POST.get("amount", "").strip()[:20])
    except InvalidOperation:
        flash.error(request, "Enter the amount as a number, e.g. 129.00.")
        return redirect(reverse("returns:detail", args=[found.pk]))
    if not amount.is_finite() or amount >= Decimal("1e10"):
        flash.error(request, "Enter the amount as a number, e.g. 129.00.")
        return redirect(reverse("returns:detail", args=[found.pk]))
    return _done(request, found.pk, lambda: services.return_settle(
        request.tenant, found.pk, amount=amount.quantize(Decimal("0.01")),
        reference=request.POST.get("reference", "")[:200], actor=member_actor(request)))


@dashboard_view(Perm.RETURNS_VIEW)
def return_photo(request: DashboardRequest, request_id: int, photo_id: int) -> HttpResponse:
    """A shopper's photo, for the store's members only (private storage, no public URL)."""
    photo = ReturnPhoto.objects.filter(pk=photo_id, line__request_id=request_id).first()
    if photo is None:
        raise Http404("no such photo")
    with photo.image.open("rb") as image:
        response = HttpResponse(image.read(), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@dashboard_view(Perm.RETURNS_VIEW)
def return_authorization(request: DashboardRequest, request_id: int) -> HttpResponse:
    """The printable return authorisation the shopper sees, for the store's members (to
    print for a shopper at the counter, or to see what the shopper was given)."""
    found = return_request_get(request.tenant, request_id)
    brand = brand_get(request.tenant)
    with translation.override(found.locale or request.tenant.default_locale or None):
        pdf = authorization_pdf(
            found, shop_name=brand.sender_name or request.tenant.name,
            status_url=return_status_url(request.tenant, found.public_token,
                                         domain=brand.custom_tracking_domain or None),
            address=address_lines(found.policy.return_address))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
