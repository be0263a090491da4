"""The agent console's "Start a return" on the order page: a return on the shopper's behalf,
judged by the store's policy like the shopper's own (no photo asked: the agent has heard the
shopper), recorded as made by the agent."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from orders.selectors import order_get
from tenants.permissions import Perm
from tenants.services import audit_record
from tenants.views.base import DashboardRequest, dashboard_view, member_actor

from .models import CreatedVia
from .services import LineRequest, ReturnRefused, return_request_create


def _lines(request: DashboardRequest, line_ids: list[int]) -> list[LineRequest]:
    picked = []
    for line_id in line_ids:
        raw = request.POST.get(f"quantity_{line_id}", "0")
        quantity = int(raw) if raw.isdigit() and len(raw) < 5 else 0
        if quantity:
            picked.append(LineRequest(line_item_id=line_id, quantity=quantity,
                                      reason=request.POST.get(f"reason_{line_id}", "")[:24],
                                      comment=request.POST.get("comment", "")[:1000]))
    return picked


@require_POST
@dashboard_view(Perm.RETURNS_VIEW, manage=Perm.RETURNS_MANAGE)
def return_start(request: DashboardRequest, order_id: int) -> HttpResponse:
    order = order_get(request.tenant, order_id)
    back = reverse("orders:detail", args=[order.pk])
    try:
        created = return_request_create(
            request.tenant, order.pk, _lines(request, [line.pk for line in order.lines.all()]),
            resolution=request.POST.get("resolution", ""), method=request.POST.get("method", ""),
            created_via=CreatedVia.AGENT, actor=member_actor(request),
            photos_required=False)
    except ReturnRefused as exc:
        flash.error(request, f"The return could not be started: {exc.message}")
        return redirect(f"{back}#returns")
    audit_record(request.tenant, actor=member_actor(request), action="return.started",
                 summary=f"Started return {created.number} for order {order.number}",
                 object_type="return", object_id=created.pk)
    flash.success(request, f"Return {created.number} started: {created.get_status_display()}.")
    return redirect(f"{back}#timeline")
