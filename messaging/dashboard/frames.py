"""A shopper's e-mail inside a dashboard page (a message, the dev outbox, the template
editor's preview).

An e-mail is HTML with inline styles and pictures from anywhere by nature, and the dashboard's
Content-Security-Policy refuses both; an <iframe srcdoc> would inherit that policy. So the
e-mail is served from a URL of its own, with a policy of its own (config.csp.EMAIL_FRAME_
DIRECTIVES: no script, a sandbox with an opaque origin, framed by this site only), into a
sandboxed <iframe> of the page, which stays strict:

    message page ── <iframe src=messages/<id>/content/> ──► message_frame (the stored body)
    editor ── htmx preview ─► preview_frame_store (cache, per store and person, 15 min)
                 └─ <iframe src=journeys/templates/preview/<key>/> ──► template_preview_frame
"""

from __future__ import annotations

import re
import secrets

from django.core.cache import cache
from django.http import Http404, HttpResponse

from config.csp import email_frame_response
from tenants.permissions import Perm
from tenants.views.base import DashboardRequest, dashboard_view

from .. import selectors

PREVIEW_SECONDS = 15 * 60  # longer than anyone looks at one preview; a new one per keystroke
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def links_open_outside(html: str) -> str:
    """The e-mail for a sandboxed frame whose links open in a new tab, as a mail client opens
    them (inside the frame they would replace the e-mail). The <base> goes into <head>:
    before the doctype it would throw the e-mail into quirks mode."""
    base = '<base target="_blank">'
    html, found = _HEAD.subn(lambda head: head.group(0) + base, html, count=1)
    return html if found else base + html


def _preview_key(tenant_id: int, user_id: int | None, key: str) -> str:
    return f"email-preview:{tenant_id}:{user_id}:{key}"


def preview_frame_store(tenant, user, html: str) -> str:
    """Keeps a rendered preview for its frame to fetch; returns the frame's key. The key is
    random and the cache entry is also bound to the store and the person."""
    key = secrets.token_urlsafe(18)
    cache.set(_preview_key(tenant.pk, user.pk, key), html, PREVIEW_SECONDS)
    return key


@dashboard_view(Perm.MESSAGES_VIEW)
def message_frame(request: DashboardRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get(request.tenant, message_id)
    if not message.html_body:
        raise Http404("no e-mail body")
    return email_frame_response(links_open_outside(message.html_body))


@dashboard_view(Perm.JOURNEYS_VIEW)
def template_preview_frame(request: DashboardRequest, key: str) -> HttpResponse:
    html = cache.get(_preview_key(request.tenant.pk, request.user.pk, key))
    if html is None:  # expired, or not this person's: the editor makes a new one on change
        raise Http404("no such preview")
    return email_frame_response(links_open_outside(html))
