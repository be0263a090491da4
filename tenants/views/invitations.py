"""The public invitation page, `/invitations/<token>/` (URL name `invitation_accept`, the
link in the invitation e-mail). The token names the tenant; nothing else here does.

    anonymous   → remember the token, trust the address (the link proves it), offer
                  "create your account" (joins on sign-up) or "log in" (comes back here)
    logged in   → the invited address: Accept (POST) joins and switches to the store
                → another address: say whom it is for
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.errors import ApplicationError

from .. import services
from ..accounts import INVITATION_SESSION_KEY
from ..context import no_tenant, tenant_scope
from ..middleware import SESSION_KEY
from ..permissions import Role


def _invalid(request: HttpRequest, reason: str | None = None) -> HttpResponse:
    request.session.pop(INVITATION_SESSION_KEY, None)
    return render(request, "invitations/invalid.html", {"reason": reason}, status=404)


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_get_by_token(token)
    if invitation is None:
        return _invalid(request)
    context = {
        "invitation": invitation, "token": token, "store": invitation.tenant,
        "role_label": Role(invitation.role).label,
    }
    user = request.user
    if not user.is_authenticated:
        request.session[INVITATION_SESSION_KEY] = token
        get_adapter(request).stash_verified_email(request, invitation.email)
        return render(request, "invitations/accept.html", {**context, "mode": "anonymous"})
    if user.email.lower() != invitation.email.lower():
        return render(request, "invitations/accept.html", {**context, "mode": "wrong_account"})
    if request.method != "POST":
        return render(request, "invitations/accept.html", {**context, "mode": "accept"})
    try:
        # The token's store is this page's scope, not the store the member is working in.
        with no_tenant(), tenant_scope(invitation.tenant):
            services.invitation_accept(invitation, user)
    except ApplicationError as exc:
        return _invalid(request, exc.message)
    request.session.pop(INVITATION_SESSION_KEY, None)
    request.session[SESSION_KEY] = invitation.tenant_id
    messages.success(request, f"Welcome to {invitation.tenant.name}! You joined as "
                              f"{Role(invitation.role).label.lower()}.")
    return redirect("dashboard:home")
