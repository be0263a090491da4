"""Shipments: the list (filters, pages) and one shipment with every stored event.

The timeline shows events the status fold skipped too (a late "in transit" after "delivered",
a repeated scan), marked as such, so an agent sees exactly what the carrier told us.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import ValidationFailed
from tenants.access import access_scoped
from tenants.permissions import Perm
from tenants.services import brand_get
from tenants.views.base import (
    DashboardRequest,
    dashboard_view,
    is_htmx,
    member_actor,
    safe_back_url,
)
from tenants.views.paging import page_of

from ..models import DeliveryFeedback, Shipment, TrackingEvent
from ..pageviews import shipment_page_views
from ..selectors import delivery_feedback_get, tracking_page_url
from ..services import PARCEL_MARKS, shipment_agent_mark
from ..statuses import Milestone, TrackingStatus, status_transition_allowed

# Badge colour per status: green arrived, blue moving, amber needs an eye, red went wrong.
STATUS_TONE: dict[str, str] = {
    TrackingStatus.DELIVERED: "success",
    TrackingStatus.IN_TRANSIT: "primary",
    TrackingStatus.OUT_FOR_DELIVERY: "primary",
    TrackingStatus.AVAILABLE_FOR_PICKUP: "warning",
    TrackingStatus.ATTEMPT_FAILED: "warning",
    TrackingStatus.EXCEPTION: "danger",
    TrackingStatus.RETURNED_TO_SENDER: "danger",
    TrackingStatus.CANCELLED: "",
    TrackingStatus.EXPIRED: "",
    TrackingStatus.PENDING: "",
    TrackingStatus.UNKNOWN: "",
}
FLAGS = [("", "All"), ("delayed", "Delayed"), ("stalled", "Stalled"),
         ("attention", "Delayed or stalled")]
RATINGS = [("", "Any"), ("low", "Rated low (1–2 stars)"), ("rated", "Rated"),
           ("unrated", "Not rated")]


class ShipmentFilter(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=64, widget=forms.TextInput(
        attrs={"placeholder": "Number", "type": "search"}))
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *TrackingStatus.choices])
    carrier = forms.ChoiceField(required=False, choices=[("", "Any carrier")])
    flag = forms.ChoiceField(required=False, choices=FLAGS, label="Late or stuck")
    rating = forms.ChoiceField(required=False, choices=RATINGS, label="Shopper's rating")
    created_from = forms.DateField(required=False, label="Created from",
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(required=False, label="Created to",
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, carriers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].choices = [("", "Any carrier"), *((c, c) for c in carriers)]


def _filtered(form: ShipmentFilter):
    # The shopper's rating, if any, as one subquery of the page's query (the low ones get a
    # badge: agents follow them up).
    rating = DeliveryFeedback.objects.filter(shipment=OuterRef("pk")).values("rating")[:1]
    shipments = (Shipment.objects.select_related("order").annotate(rating=Subquery(rating))
                 .order_by("-created_at", "-pk"))
    if not form.is_valid():
        return shipments
    data = form.cleaned_data
    if data["q"]:
        q = data["q"].strip()
        shipments = shipments.filter(Q(tracking_number=q) | Q(order__number=q))
    if data["status"]:
        shipments = shipments.filter(status=data["status"])
    if data["carrier"]:
        shipments = shipments.filter(carrier=data["carrier"])
    if data["flag"] == "attention":
        shipments = shipments.filter(Q(delayed=True) | Q(stalled=True))
    elif data["flag"]:
        shipments = shipments.filter(**{data["flag"]: True})
    if data["rating"] == "low":
        shipments = shipments.filter(rating__lte=DeliveryFeedback.LOW_RATING)
    elif data["rating"]:
        shipments = shipments.filter(rating__isnull=data["rating"] == "unrated")
    if data["created_from"]:
        shipments = shipments.filter(created_at__date__gte=data["created_from"])
    if data["created_to"]:
        shipments = shipments.filter(created_at__date__lte=data["created_to"])
    return shipments


@dashboard_view(Perm.ORDERS_VIEW)
def shipment_list(request: HttpRequest) -> HttpResponse:
    carriers = list(Shipment.objects.order_by("carrier").values_list("carrier", flat=True)
                    .distinct())
    form = ShipmentFilter(request.GET or None, carriers=carriers)
    page = page_of(request, _filtered(form))
    for shipment in page.rows:
        shipment.tone = STATUS_TONE.get(shipment.status, "")
    return render(request, "tracking/shipments.html", {
        "form": form, "page": page, "nav_active": "shipments",
        "tab": "shipments", "filtered": any(v for k, v in request.GET.items() if k != "page"),
    })


def _timeline(events: list[TrackingEvent]) -> list[dict]:
    """Replay the status fold (services.shipment_recompute) to say, per event, whether it
    moved the shipment, and if not, why; newest first, as people read a history."""
    current: str | None = None
    rows = []
    for event in events:
        moved = status_transition_allowed(current, event.status)
        if moved:
            note = ""
        elif event.status == current:
            note = "Same status again: stored, no change."
        else:
            note = (f"Arrived after “{TrackingStatus(current).label}”: stored, did not change "
                    "the status.")
        rows.append({"event": event, "changed": moved, "note": note,
                     "tone": STATUS_TONE.get(event.status, "")})
        if moved:
            current = event.status
    return rows[::-1]


@dashboard_view(Perm.ORDERS_VIEW)
def shipment_detail(request: DashboardRequest, shipment_id: int) -> HttpResponse:
    shipment = access_scoped(Shipment, request.tenant, shipment_id)
    order = shipment.order  # one query; None for a parcel pushed without an order
    events = list(shipment.events.order_by("occurred_at", "pk"))
    # Same moment (shipped + in_transit from one scan): the journey's own order reads best.
    rank = {value: n for n, value in enumerate(Milestone.values)}
    milestones = [(Milestone(m.milestone).label, m.occurred_at) for m in sorted(
        shipment.milestones.all(), key=lambda m: (m.occurred_at, rank.get(m.milestone, 99)))]
    domain = brand_get(request.tenant).custom_tracking_domain
    return render(request, "tracking/shipment_detail.html", {
        "shipment": shipment, "order": order, "timeline": _timeline(events),
        "milestones": milestones, "tone": STATUS_TONE.get(shipment.status, ""),
        "nav_active": "shipments",
        # The shopper's page: the address to give a shopper, and a link for us that counts
        # no view (?src=preview).
        "public_url": tracking_page_url(shipment.public_token, domain=domain),
        "views": shipment_page_views(request.tenant, shipment.pk),
        "feedback": delivery_feedback_get(request.tenant, shipment.pk),
    })


@require_POST
@dashboard_view(Perm.ORDERS_VIEW, manage=Perm.ORDERS_MANAGE)
def shipment_mark(request: DashboardRequest, shipment_id: int) -> HttpResponse:
    """From the order page: "lost — reshipping", "customer contacted" or "link copied" on the
    timeline and in the audit log. "Copy link" copies in the browser and posts here with htmx
    (answered 204); without script the answer shows the link to copy by hand."""
    try:
        shipment = shipment_agent_mark(request.tenant, shipment_id, request.POST.get("mark", ""),
                                       actor=member_actor(request),
                                       note=request.POST.get("note", ""))
    except ValidationFailed as exc:
        flash.error(request, exc.message)
        return redirect(safe_back_url(request, "dashboard:home"))
    if is_htmx(request):  # the "Copy link" button: copied in the browser, recorded here
        return HttpResponse(status=204)
    if request.POST["mark"] == "link_copied":  # no script: nothing was copied; show the link
        domain = brand_get(request.tenant).custom_tracking_domain
        flash.success(request, "The shopper's tracking page (noted on the timeline): "
                      + tracking_page_url(shipment.public_token, domain=domain))
    else:
        flash.success(request, f"{PARCEL_MARKS[request.POST['mark']]}: noted on the timeline.")
    return redirect(reverse("orders:detail", args=[shipment.order_id]) + "#timeline")
