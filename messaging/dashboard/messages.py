"""The message log (filters, pages) and one message: its content as the shopper saw it, every
provider event, and "send again" for failed ones.

An uncertain message (the provider may have accepted it before we crashed) is never sent
again on a click alone: the form asks the person to confirm they checked, and the resend
event records who did.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import Conflict, ValidationFailed
from tenants.permissions import Perm
from tenants.views.base import DashboardRequest, can, dashboard_view, member_actor
from tenants.views.paging import page_of

from .. import selectors, services
from ..journeys.triggers import TRIGGER_LABELS
from ..models import Channel, Message
from ..providers import outbox_is_default
from ..providers.email import email_envelope
from ..providers.outbox import NAME as OUTBOX
from .forms import MessageFilter, ResendForm

# Badge colour per status: green reached the shopper, blue on its way, amber look, red failed.
STATUS_TONE: dict[str, str] = {
    Message.Status.SCHEDULED: "",
    Message.Status.QUEUED: "primary",
    Message.Status.SENDING: "primary",
    Message.Status.SENT: "primary",
    Message.Status.DELIVERED: "success",
    Message.Status.OPENED: "success",
    Message.Status.CLICKED: "success",
    Message.Status.SUPPRESSED: "",
    Message.Status.FAILED: "danger",
    Message.Status.BOUNCED: "danger",
    Message.Status.UNCERTAIN: "warning",
}
STATUS_WORDS: dict[str, str] = {
    Message.Status.SCHEDULED: "Waiting for its time (a delay or the shopper's quiet hours).",
    Message.Status.QUEUED: "Due now; about to be handed to the provider.",
    Message.Status.SENDING: "Being handed to the provider.",
    Message.Status.SENT: "The provider accepted it.",
    Message.Status.DELIVERED: "Delivered to the shopper's inbox or phone.",
    Message.Status.OPENED: "The shopper opened it.",
    Message.Status.CLICKED: "The shopper clicked a link in it.",
    Message.Status.SUPPRESSED: "Not sent, on purpose.",
    Message.Status.FAILED: "Not sent: the provider refused it, or every retry failed.",
    Message.Status.BOUNCED: "The shopper's mail server refused it.",
    Message.Status.UNCERTAIN: ("We handed it to the provider but did not hear back: it may or "
                               "may not have arrived. It is never sent again automatically."),
}
MILESTONE_LABELS = TRIGGER_LABELS



@dashboard_view(Perm.MESSAGES_VIEW)
def message_list(request: DashboardRequest) -> HttpResponse:
    form = MessageFilter(request.GET or None)
    # The log never loads bodies or events: a page is one query, however long the e-mails.
    rows = (selectors.message_list(request.tenant, with_events=False)
            .defer("html_body", "text_body", "links").order_by("-created_at", "-pk"))
    if form.is_valid():
        data = form.cleaned_data
        if q := data["q"].strip():
            rows = rows.filter(Q(recipient__in={q, q.lower()}) | Q(order__number=q)
                               | Q(order__number=f"#{q.lstrip('#')}"))
        rows = rows.filter(**{key: data[key] for key in ("status", "channel", "milestone")
                              if data[key]})
    page = page_of(request, rows)
    for row in page.rows:
        row.tone = STATUS_TONE.get(row.status, "")
        row.milestone_label = MILESTONE_LABELS.get(row.milestone, row.milestone)
    return render(request, "messaging/dashboard/messages.html", {
        "form": form, "page": page, "nav_active": "messages", "tab": "messages",
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "outbox_tab": outbox_is_default(),
    })


@dashboard_view(Perm.MESSAGES_VIEW)
def message_detail(request: DashboardRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get(request.tenant, message_id)
    is_email = message.channel == Channel.EMAIL
    return render(request, "messaging/dashboard/message_detail.html", {
        "message": message, "events": list(message.events.all()),
        "email_frame": bool(message.html_body),  # served by frames.message_frame
        "envelope": email_envelope(message) if is_email and message.html_body else None,
        "in_outbox": message.provider == OUTBOX,
        "tone": STATUS_TONE.get(message.status, ""),
        "status_words": STATUS_WORDS.get(message.status, ""),
        "milestone_label": MILESTONE_LABELS.get(message.milestone, message.milestone),
        "can_resend": (can(request, Perm.MESSAGES_MANAGE)
                       and message.status in services.RESENDABLE),
        "resend_form": ResendForm(), "nav_active": "messages",
    })


@require_POST
@dashboard_view(Perm.MESSAGES_VIEW, manage=Perm.MESSAGES_MANAGE)
def message_resend(request: DashboardRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get(request.tenant, message_id)
    form = ResendForm(request.POST)
    form.is_valid()
    try:
        services.message_resend(
            request.tenant, message.pk, actor=member_actor(request),
            confirmed_not_received=form.cleaned_data.get("confirmed_not_received", False))
    except Conflict as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, f"Scheduled to send again to {message.recipient} now.")
    return redirect("messaging:message", message_id=message.pk)


@require_POST
@dashboard_view(Perm.MESSAGES_VIEW, manage=Perm.MESSAGES_MANAGE)
def message_send_again(request: DashboardRequest, message_id: int) -> HttpResponse:
    """From the order page: send a message again, to the same or a corrected address."""
    message = selectors.message_get(request.tenant, message_id)
    back = (reverse("orders:detail", args=[message.order_id]) + "#timeline" if message.order_id
            else reverse("messaging:message", args=[message.pk]))
    try:
        copy = services.message_send_again(
            request.tenant, message.pk, actor=member_actor(request),
            recipient=request.POST.get("recipient", "")[:254],
            request_key=request.POST.get("request_key", ""))
    except ValidationFailed as exc:
        flash.error(request, " ".join([exc.message, *(" ".join(v) for v in exc.details.values()
                                                       if v != [exc.message])]))
    else:
        flash.success(request, f"Sending again to {copy.recipient} now.")
    return redirect(back)


@require_POST
@dashboard_view(Perm.MESSAGES_VIEW, manage=Perm.MESSAGES_MANAGE)
def order_message_send(request: DashboardRequest, order_id: int) -> HttpResponse:
    """From the order page: a one-off branded message from one of the store's templates."""
    raw = request.POST.get("template", "")
    template_id = int(raw) if raw.isdigit() and len(raw) < 12 else 0
    try:
        message = services.message_send_one_off(
            request.tenant, order_id, template_id, actor=member_actor(request),
            recipient=request.POST.get("recipient", "")[:254],
            request_key=request.POST.get("request_key", ""))
    except ValidationFailed as exc:
        flash.error(request, " ".join([exc.message, *(" ".join(v) for v in exc.details.values()
                                                       if v != [exc.message])]))
        return redirect(reverse("orders:detail", args=[order_id]) + "#send-message")
    flash.success(request, f"Sending to {message.recipient} now.")
    return redirect(reverse("orders:detail", args=[order_id]) + "#timeline")
