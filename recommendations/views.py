"""The Recommendations area of the dashboard (namespace `recommendations`): what was learned
and when, what recommendations earned (per placement and product, last 30 days), a preview
of what an order's shopper or a product's buyer would be shown and why, and the retailer's
rules. Changes go through the API (/api/v1/recommendations/…) for now; the page recomputes
on demand."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from orders.models import Order, Product
from tenants.permissions import Perm
from tenants.queueing import enqueue_on_commit
from tenants.views.base import DashboardRequest, dashboard_view

from . import tasks
from .learning import settings_get
from .models import CategoryRule, ProductRule, Surface
from .selectors import attribution_summary, recommendation_preview

DAYS = 30


@dashboard_view(Perm.JOURNEYS_VIEW)
def recommendations_home(request: DashboardRequest):
    tenant = request.tenant
    until = timezone.now()
    summary = attribution_summary(tenant, until - timedelta(days=DAYS), until)
    rules = list(ProductRule.objects.select_related("product").order_by("kind", "position"))
    names = dict(Product.objects.filter(
        pk__in=[p.product_id for p in summary.products[:10]]).values_list("pk", "title"))
    preview, asked, problem = _preview(request)
    return render(request, "recommendations/home.html", {
        "nav_active": "recommendations", "config": settings_get(tenant), "days": DAYS,
        "placements": summary.placements,
        "products": [(names.get(p.product_id, f"#{p.product_id}"), p)
                     for p in summary.products[:10]],
        "rules": {kind.label: [r.product for r in rules if r.kind == kind]
                  for kind in ProductRule.Kind},
        "category_rules": CategoryRule.objects.order_by("category"),
        "preview": preview, "asked": asked, "problem": problem,
        "surfaces": Surface.choices,
    })


def _preview(request: DashboardRequest):
    """The preview asked for in the query string: an order by its number, or a product by
    its SKU, external id or id. Not found: said in words, never an error page."""
    order_number = request.GET.get("order", "").strip()[:32]
    product_ref = request.GET.get("product", "").strip()[:100]
    surface = request.GET.get("placement", Surface.EMAIL)
    if surface not in Surface.values:
        surface = Surface.EMAIL
    asked = {"order": order_number, "product": product_ref, "placement": surface}
    if order_number:
        order = Order.objects.filter(number=order_number).first()
        if order is None:
            return None, asked, f"No order {order_number} in this store."
        return recommendation_preview(order=order, surface=surface), asked, ""
    if product_ref:
        found = Product.objects.filter(Q(sku=product_ref) | Q(external_id=product_ref)).first()
        if found is None and product_ref.isdigit():
            found = Product.objects.filter(pk=int(product_ref)).first()
        if found is None:
            return None, asked, f"No product {product_ref} in this store."
        return recommendation_preview(product=found, surface=surface), asked, ""
    return None, asked, ""


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def recommendations_recompute(request: DashboardRequest):
    enqueue_on_commit(tasks.associations_recompute, request.tenant.pk)
    messages.success(request, "Relearning from your orders now; this page shows when it is done.")
    return redirect("recommendations:home")
