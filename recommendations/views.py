"""The Recommendations area of the dashboard (namespace `recommendations`): what was learned
and when, what recommendations earned (per placement and product, last 30 days), a preview
of what an order's shopper or a product's buyer would be shown and why, and the retailer's
control: how many to show per placement (and how to learn), pinned, blocked and curated
products, category rules. Everyone who sees journeys sees the page; those who manage
journeys change it (each change in the audit log, as through the API) and relearn on
demand. A form with a mistake comes back with it said next to the field."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from orders.models import Order, Product
from tenants.permissions import Perm
from tenants.queueing import enqueue_on_commit
from tenants.views.base import DashboardRequest, can, dashboard_view, member_actor

from . import services, tasks
from .forms import CategoryRulesForm, ProductListForm, RecommendationSettingsForm
from .learning import settings_get
from .models import CategoryRule, ProductRule, Surface
from .selectors import attribution_summary, recommendation_preview

DAYS = 30
# The lists as the page (and the API's paths) name them.
KINDS = {"pinned": ProductRule.Kind.PIN, "blocked": ProductRule.Kind.BLOCK,
         "curated": ProductRule.Kind.CURATED}
KIND_WORDS = {
    "pinned": ("Pinned products", "Shown first, to every shopper who has not bought them."),
    "blocked": ("Blocked products", "Never recommended."),
    "curated": ("Curated fallback", "Shown when nothing better is known (a new store, a "
                                    "shopper with nothing learned)."),
}


@dashboard_view(Perm.JOURNEYS_VIEW)
def recommendations_home(request: DashboardRequest):
    return _page(request)


def _page(request: DashboardRequest, *, bound: dict | None = None, status: int = 200
          ) -> HttpResponse:
    """The page, with `bound` forms (a POST with a mistake) in place of the saved values."""
    tenant = request.tenant
    bound = bound or {}
    until = timezone.now()
    summary = attribution_summary(tenant, until - timedelta(days=DAYS), until)
    rules = list(ProductRule.objects.select_related("product").order_by("kind", "position"))
    names = dict(Product.objects.filter(
        pk__in=[p.product_id for p in summary.products[:10]]).values_list("pk", "title"))
    preview, asked, problem = _preview(request)
    config = settings_get(tenant)
    category_rules = list(CategoryRule.objects.order_by("category"))
    editable = can(request, Perm.JOURNEYS_MANAGE)
    lists = []
    for key, kind in KINDS.items():
        chosen = [r.product for r in rules if r.kind == kind]
        form = bound.get(key) or ProductListForm(
            kind_label=KIND_WORDS[key][0], prefix=key,
            initial={"products": "\n".join(p.sku or p.external_id or str(p.pk) for p in chosen)})
        lists.append({"key": key, "title": KIND_WORDS[key][0], "help": KIND_WORDS[key][1],
                      "products": chosen, "form": form,
                      "action": reverse("recommendations:products", args=[key])})
    settings_form = bound.get("settings") or RecommendationSettingsForm(config=config)
    rules_form = bound.get("category_rules") or CategoryRulesForm(initial={
        "rules": CategoryRulesForm.text_of({r.category: r.related_categories
                                            for r in category_rules})})
    forms_shown: list[forms.Form] = [settings_form, rules_form,
                                     *(cast(forms.Form, item["form"]) for item in lists)]
    for form in forms_shown:
        if not editable:
            for field in form.fields.values():
                field.disabled = True
    return render(request, "recommendations/home.html", {
        "nav_active": "recommendations", "config": config, "days": DAYS,
        "placements": summary.placements,
        "products": [(names.get(p.product_id, f"#{p.product_id}"), p)
                     for p in summary.products[:10]],
        "lists": lists, "category_rules": category_rules,
        "settings_form": settings_form, "rules_form": rules_form, "editable": editable,
        "categories": sorted(set(Product.objects.exclude(category="").values_list(
            "category", flat=True).distinct()[:200])),
        "preview": preview, "asked": asked, "problem": problem,
        "surfaces": Surface.choices,
    }, status=status)


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


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def recommendations_settings(request: DashboardRequest):
    form = RecommendationSettingsForm(request.POST, config=settings_get(request.tenant))
    if not form.is_valid():
        return _page(request, bound={"settings": form}, status=400)
    changes = form.changes()
    if changes:
        services.recommendation_settings_update(request.tenant, changes,
                                                actor=member_actor(request))
    messages.success(request, "Settings saved." if changes else "Nothing to save.")
    return redirect(reverse("recommendations:home") + "#settings-title")


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def recommendations_products(request: DashboardRequest, kind: str):
    if kind not in KINDS:
        raise Http404("No such list.")
    form = ProductListForm(request.POST, kind_label=KIND_WORDS[kind][0], prefix=kind)
    if not form.is_valid():
        return _page(request, bound={kind: form}, status=400)
    ids = services.product_rules_replace(request.tenant, KINDS[kind], form.cleaned_data["products"],
                                         actor=member_actor(request))
    messages.success(request, f"{KIND_WORDS[kind][0]} saved ({len(ids)}).")
    return redirect(reverse("recommendations:home") + f"#list-{kind}")


@require_POST
@dashboard_view(Perm.JOURNEYS_VIEW, manage=Perm.JOURNEYS_MANAGE)
def recommendations_category_rules(request: DashboardRequest):
    form = CategoryRulesForm(request.POST)
    if not form.is_valid():
        return _page(request, bound={"category_rules": form}, status=400)
    rules = services.category_rules_replace(request.tenant, form.cleaned_data["rules"],
                                            actor=member_actor(request))
    messages.success(request, f"Category rules saved ({len(rules)}).")
    return redirect(reverse("recommendations:home") + "#category-rules-title")
