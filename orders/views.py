"""Orders: the list of every order the store sent us, newest first; the agent console's search
(the top bar's box on every page) and the order page with its one timeline and the agent's
actions. Importing a CSV is a tab of this area (tracking/views/imports.py: it creates
shipments, which belong to the tracking app)."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import ValidationFailed
from tenants.permissions import Perm
from tenants.views.base import DashboardRequest, can, dashboard_view, is_htmx, member_actor
from tenants.views.paging import page_of

from . import selectors, services
from .console import order_console
from .models import Order
from .search import MAX_QUERY
from .services.agents import CONSENT_LABELS, NOTE_MAX, REASON_MAX


@dashboard_view(Perm.ORDERS_VIEW)
def order_list(request: DashboardRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    orders = Order.objects.select_related("customer").order_by("-placed_at", "-pk")
    if q:
        orders = orders.filter(Q(number=q) | Q(number=q.lstrip("#")) | Q(external_id=q)
                               | Q(customer__email=q.lower()))
    return render(request, "orders/list.html", {
        "page": page_of(request, orders), "q": q, "nav_active": "orders", "tab": "orders",
    })


@dashboard_view(Perm.ORDERS_VIEW)
def order_search(request: DashboardRequest) -> HttpResponse:
    """The top bar's search: the results page, or (htmx, as the agent types) the results list
    under the box. `go=1` (Enter without the script) opens the best match."""
    q = request.GET.get("q", "")
    too_long = len(q) > MAX_QUERY
    results = [] if too_long else selectors.order_search(request.tenant, q)
    if request.GET.get("go") and results:
        return redirect("orders:detail", order_id=results[0].order.pk)
    context = {"q": q.strip()[:MAX_QUERY], "results": results, "too_long": too_long,
               "max_query": MAX_QUERY, "nav_active": "orders"}
    if is_htmx(request):
        return render(request, "orders/console/_search_results.html", context)
    return render(request, "orders/console/search.html", context)


class NoteForm(forms.Form):
    text = forms.CharField(max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                           label="Internal note", help_text="Only your team sees it. "
                           "Mention someone with @name to e-mail them.")


class ContactForm(forms.Form):
    email = forms.CharField(required=False, max_length=254, label="E-mail")
    phone = forms.CharField(required=False, max_length=32, label="Phone (E.164)")
    reason = forms.CharField(required=False, max_length=REASON_MAX, label="Reason")


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(choices=list(CONSENT_LABELS.items()))
    given = forms.TypedChoiceField(choices=[("1", "On"), ("0", "Off")], coerce=lambda v: v == "1")
    reason = forms.CharField(max_length=REASON_MAX, label="Reason")


@dashboard_view(Perm.ORDERS_VIEW)
def order_detail(request: DashboardRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get(request.tenant, order_id)
    console = order_console(request.tenant, order, request, kind=request.GET.get("kind", ""),
                            everything=request.GET.get("all") == "1")
    customer = order.customer
    consents = ([(channel, label, customer.has_consent(channel),
                  getattr(customer, f"{channel}_consent_at"),
                  getattr(customer, f"get_{channel}_consent_source_display")())
                 for channel, label in CONSENT_LABELS.items()] if customer else [])
    return render(request, "orders/console/detail.html", {
        "order": order, "customer": customer, "consents": consents, "console": console,
        "lines": list(order.lines.all()), "can_act": can(request, Perm.ORDERS_MANAGE),
        "note_form": NoteForm(), "nav_active": "orders",
        "contact_form": ContactForm(initial={"email": customer.email, "phone": customer.phone})
        if customer else None,
        "consent_form": ConsentForm(),
    })


def _back(order: Order, anchor: str = "timeline") -> HttpResponse:
    return redirect(f"{reverse('orders:detail', args=[order.pk])}#{anchor}")


def _form_errors(form: forms.Form) -> str:
    return " ".join(f"{form.fields[f].label or f}: {' '.join(map(str, e))}" if f in form.fields
                    else " ".join(map(str, e)) for f, e in form.errors.items())


@require_POST
@dashboard_view(Perm.ORDERS_VIEW, manage=Perm.ORDERS_MANAGE)
def order_note_add(request: DashboardRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get(request.tenant, order_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        flash.error(request, _form_errors(form))
        return _back(order, "note")
    try:
        notified = services.order_note_add(request.tenant, order.pk, form.cleaned_data["text"],
                                           actor=member_actor(request))
    except ValidationFailed as exc:
        flash.error(request, exc.message)
    else:
        told = f" {', '.join(notified)} will get an e-mail." if notified else ""
        flash.success(request, f"Note added.{told}")
    return _back(order)


@require_POST
@dashboard_view(Perm.ORDERS_VIEW, manage=Perm.ORDERS_MANAGE)
def customer_contact_correct(request: DashboardRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get(request.tenant, order_id)
    form = ContactForm(request.POST)
    if order.customer is None or not form.is_valid():
        flash.error(request, _form_errors(form) or "This order has no shopper to correct.")
        return _back(order, "customer")
    data = form.cleaned_data
    try:
        changed = services.customer_contact_correct(
            request.tenant, order.customer.pk, order_id=order.pk, email=data["email"],
            phone=data["phone"], actor=member_actor(request), reason=data["reason"])
    except ValidationFailed as exc:
        flash.error(request, " ".join([exc.message, *(f"{k}: {' '.join(v)}" for k, v in
                                                       exc.details.items())]))
        return _back(order, "customer")
    flash.success(request, "Contact details corrected; messages from now on use them."
                  if changed else "Nothing changed.")
    return _back(order, "customer")


@require_POST
@dashboard_view(Perm.ORDERS_VIEW, manage=Perm.ORDERS_MANAGE)
def customer_consent_set(request: DashboardRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get(request.tenant, order_id)
    form = ConsentForm(request.POST)
    if order.customer is None or not form.is_valid():
        flash.error(request, _form_errors(form) or "This order has no shopper.")
        return _back(order, "customer")
    data = form.cleaned_data
    changed = services.customer_consent_set(
        request.tenant, order.customer.pk, data["channel"], data["given"], order_id=order.pk,
        actor=member_actor(request), reason=data["reason"])
    flash.success(request, "Consent recorded." if changed else "That was the consent already.")
    return _back(order, "customer")

