"""The dev outbox (like MailHog or Mailpit): every message the embedded mode kept instead of
sending (messaging/providers/outbox.py), newest first, as the shopper would get it. A message
opens in the message log's own page (messages.py), which shows the e-mail rendered, with its
links working, and the SMS text; its .eml can be downloaded here."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from tenants.permissions import Perm
from tenants.views.base import DashboardRequest, dashboard_view
from tenants.views.paging import page_of

from .. import selectors
from ..models import Channel
from ..providers import outbox_channels
from ..providers.outbox import NAME as OUTBOX
from ..providers.outbox import outbox_eml, outbox_files_dir


@dashboard_view(Perm.MESSAGES_VIEW)
def outbox_list(request: DashboardRequest) -> HttpResponse:
    rows = (selectors.message_list(request.tenant, with_events=False).filter(provider=OUTBOX)
            .defer("html_body", "links").order_by("-sent_at", "-pk"))
    return render(request, "messaging/dashboard/outbox.html", {
        "page": page_of(request, rows), "channels": outbox_channels(request.tenant),
        "files_dir": outbox_files_dir(), "nav_active": "messages", "tab": "outbox",
    })


@dashboard_view(Perm.MESSAGES_VIEW)
def outbox_message_eml(request: DashboardRequest, message_id: int) -> HttpResponse:
    """The kept e-mail as a .eml file, to open in a mail client."""
    message = selectors.message_get(request.tenant, message_id)
    if message.provider != OUTBOX or message.channel != Channel.EMAIL:
        raise Http404("not an e-mail of the dev outbox")
    response = HttpResponse(outbox_eml(message), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    return response
