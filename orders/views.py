"""Orders: the list of every order the store sent us, newest first, with a search by number
or e-mail. Importing a CSV is a tab of this area (tracking/views/imports.py: it creates
shipments, which belong to the tracking app)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.permissions import Perm
from tenants.views.base import dashboard_view
from tenants.views.paging import page_of

from .models import Order


@dashboard_view(Perm.ORDERS_VIEW)
def order_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    orders = Order.objects.select_related("customer").order_by("-placed_at", "-pk")
    if q:
        orders = orders.filter(Q(number=q) | Q(number=q.lstrip("#")) | Q(external_id=q)
                               | Q(customer__email=q.lower()))
    return render(request, "orders/list.html", {
        "page": page_of(request, orders), "q": q, "nav_active": "orders", "tab": "orders",
    })
