"""Settings → Audit log: who did what in the store, newest first, for owners and admins;
filtered by kind of action and by person, exported as CSV (the filtered rows, at most
EXPORT_MAX). Read-only: no URL changes or deletes an entry (tenants/audit.py)."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..models import AuditEntry
from ..permissions import Perm
from .base import dashboard_view
from .paging import page_of

EXPORT_MAX = 10_000
# Actions in words, for the filter (an action not listed still shows, under its code).
ACTIONS = {
    "order.agent_action": "Agent actions on orders", "order.note_added": "Notes on orders",
    "return.started": "Returns started by agents", "settings.changed": "Store settings",
    "brand.changed": "Brand", "member.invited": "Invitations", "member.role_changed": "Roles",
    "member.removed": "Members removed", "member.invitation_revoked": "Invitations revoked",
    "api_key.created": "API keys created", "api_key.revoked": "API keys revoked",
    "credential.set": "Integrations set", "credential.removed": "Integrations removed",
    "recommendations.settings_changed": "Recommendation settings",
    "recommendations.products_set": "Pinned, blocked and curated products",
    "recommendations.category_rules_set": "Recommendation category rules",
}


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@require_safe  # read-only: there is no way to change an entry
@dashboard_view(Perm.AUDIT_VIEW)
def audit_log(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "")[:64]
    actor = request.GET.get("actor", "").strip()[:200]
    entries = AuditEntry.objects.order_by("-created_at", "-pk")
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor__icontains=actor)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        writer = csv.writer(response)
        writer.writerow(["when", "who", "action", "object", "summary", "ip"])
        for e in entries[:EXPORT_MAX]:
            writer.writerow([e.created_at.isoformat(), _csv_safe(e.actor), e.action,
                             f"{e.object_type}:{e.object_id}" if e.object_type else "",
                             _csv_safe(e.summary), e.ip or ""])
        return response
    return render(request, "settings/audit.html", {
        "page": page_of(request, entries), "actions": ACTIONS, "action": action, "actor": actor,
        "settings_active": "audit",
    })
