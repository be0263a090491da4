"""Resolves the dashboard's tenant from the session and the user's memberships.

Every request runs inside `no_tenant()` (an empty tenant slot); for a logged-in user this
middleware fills it with the tenant they chose (kept in the session) if they are a member,
else their first tenant. Members of a tenant that enforces two-factor authentication are sent
to set it up before they can use the dashboard.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect

from config.views import is_shopper_path

from .context import activate_tenant, no_tenant
from .models import Membership, Tenant
from .rls import cross_tenant, no_cross_tenant

SESSION_KEY = "doorstep_tenant_id"
# Paths where a missing 2FA set-up must not block (the set-up pages themselves, log-out).
ADMIN_PREFIX = "/admin/"  # config/urls.py
TWO_FACTOR_EXEMPT_PREFIXES = ("/accounts/", "/invitations/", "/static/", "/media/", "/healthz")


def user_memberships(user) -> list[Membership]:
    with cross_tenant("list the tenants a logged-in user belongs to"):
        return list(
            Membership.objects.unscoped(reason="list the tenants a logged-in user belongs to")
            .filter(user=user, tenant__status=Tenant.Status.ACTIVE)
            .select_related("tenant")
            .order_by("tenant__name")
        )


def user_has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class DashboardTenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with no_tenant(), no_cross_tenant():
            request.tenant = None
            request.membership = None
            if request.path.startswith(("/api/", "/webhooks/")) or is_shopper_path(request.path):
                # The API resolves its tenant from the key, a webhook from its URL, a shopper
                # page from its token or slug: never from a browser session (a member
                # previewing the tracking page costs no session, user or membership read).
                return self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                self._resolve(request, user)
                blocked = self._two_factor_gate(request, user)
                if blocked is not None:
                    return blocked
            if request.path.startswith(ADMIN_PREFIX):
                # The operator's Django admin (staff only, tenants/admin.py) lists every
                # store's rows: the database's cross-tenant path, not the member's tenant.
                with cross_tenant("operator admin across tenants"):
                    return self.get_response(request)
            return self.get_response(request)

    def _resolve(self, request, user) -> None:
        memberships = user_memberships(user)
        request.memberships = memberships
        if not memberships:
            return
        wanted = request.session.get(SESSION_KEY)
        chosen = next((m for m in memberships if m.tenant_id == wanted), memberships[0])
        if wanted != chosen.tenant_id:
            request.session[SESSION_KEY] = chosen.tenant_id
        request.tenant, request.membership = chosen.tenant, chosen
        activate_tenant(chosen.tenant)

    def _two_factor_gate(self, request, user):
        tenant = request.tenant
        if tenant is None or not tenant.require_two_factor:
            return None
        if request.path.startswith(TWO_FACTOR_EXEMPT_PREFIXES) or user_has_totp(user):
            return None
        messages.warning(request, f"{tenant.name} requires two-factor authentication: "
                                  "set up an authenticator app to continue.")
        return redirect("mfa_activate_totp")
