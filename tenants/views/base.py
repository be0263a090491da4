"""The one gate every dashboard view goes through, and the helpers views share.

    request ─ DashboardTenantMiddleware (tenant + membership from the session)
        └─ @dashboard_view(Perm.X, manage=Perm.Y)
              not logged in            → login page, then back here
              no store                 → "create your store" page
              role lacks the Perm      → 403 page in plain words
              view raises ApplicationError → a readable message, never a 500
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from config.errors import ApplicationError
from config.ratelimit import client_address

from ..audit import audit_origin
from ..models import Membership, Tenant
from ..permissions import ROLE_PERMISSIONS, Perm, Role, role_has

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# What each permission lets someone do, in words for the 403 page ("… to manage API keys").
PERM_WORDS: dict[str, str] = {
    Perm.DASHBOARD_VIEW: "use the dashboard",
    Perm.TENANT_VIEW: "see the store settings",
    Perm.TENANT_MANAGE: "change the store settings",
    Perm.BRAND_VIEW: "see the brand settings",
    Perm.BRAND_MANAGE: "change the brand",
    Perm.MEMBERS_VIEW: "see the team",
    Perm.MEMBERS_MANAGE: "invite, change or remove team members",
    Perm.API_KEYS_MANAGE: "manage API keys",
    Perm.CREDENTIALS_VIEW: "see the integrations",
    Perm.CREDENTIALS_MANAGE: "connect or disconnect integrations",
    Perm.ORDERS_VIEW: "see orders",
    Perm.ORDERS_MANAGE: "change orders",
    Perm.MESSAGES_VIEW: "see messages",
    Perm.MESSAGES_MANAGE: "resend or correct messages",
    Perm.JOURNEYS_VIEW: "see journeys",
    Perm.JOURNEYS_MANAGE: "edit journeys",
    Perm.RETURNS_VIEW: "see returns",
    Perm.RETURNS_MANAGE: "handle returns",
    Perm.ANALYTICS_VIEW: "see analytics",
    Perm.AUDIT_VIEW: "read the audit log",
}


class DashboardRequest(HttpRequest):
    """What a view behind `dashboard_view` receives: the request with the store and the
    membership that DashboardTenantMiddleware put on it. For type hints only: annotate a
    view's `request` with it and `request.tenant` is a Tenant to the type checker too."""

    tenant: Tenant
    membership: Membership
    user: User  # dashboard_view lets only members in


def member_actor(request: DashboardRequest) -> str:
    """Who did it, as the order timeline, messages and the audit log name a member."""
    return f"user:{request.user.email}"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def roles_with(perm: Perm | str) -> list[str]:
    return [Role(role).label for role, perms in ROLE_PERMISSIONS.items() if perm in perms]


def forbidden(request: HttpRequest, perm: Perm | str) -> HttpResponse:
    tenant = request.tenant
    # Whom to ask: the people in this store who hold the permission (a handful at most).
    granting = [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]
    contacts = list(
        Membership.objects.filter(role__in=granting).select_related("user")
        .order_by("role", "user__email")[:5]
    )
    context = {
        "action_words": PERM_WORDS.get(perm, "do this"),
        "role_label": Role(request.membership.role).label,
        "allowed_roles": roles_with(perm),
        "contacts": contacts,
        "store_name": tenant.name,
    }
    return render(request, "errors/403.html", context, status=403)


def safe_back_url(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.headers.get("Referer", "")
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def flash_fragment(request: HttpRequest, message: str, *, level: str = "error") -> HttpResponse:
    """For htmx requests: put a message in the page's message area instead of the target."""
    html = render_to_string("partials/flash.html", {"message": message, "level": level}, request)
    response = HttpResponse(html)
    response["HX-Retarget"] = "#flash"
    response["HX-Reswap"] = "afterbegin"
    return response


def with_flash(response: HttpResponse, request: HttpRequest, message: str, *,
               level: str = "success") -> HttpResponse:
    """Add a message to an htmx response out of band: the target gets the response, the
    page's message area gets the message (a session message would show up a page late)."""
    html = render_to_string("partials/flash.html",
                            {"message": message, "level": level, "oob": True}, request)
    response.content = response.content + html.encode()
    return response


def application_error_response(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """Last line for errors a view did not place on a form: say it, go back."""
    if is_htmx(request):
        return flash_fragment(request, exc.message)
    messages.error(request, exc.message)
    return redirect(safe_back_url(request, "dashboard:home"))


def add_error_to_form(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's error next to the fields its `details` name, else above the form."""
    placed = False
    for field, problems in (exc.details or {}).items():
        if field in form.fields:
            items = problems if isinstance(problems, list | tuple) else [problems]
            for problem in items:
                form.add_error(field, str(problem))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def dashboard_view(perm: Perm, *, manage: Perm | None = None) -> Callable:
    """Gate a dashboard view: reading needs `perm`; any other method needs `manage` as well
    (so one URL can show a form to a viewer and accept it only from a manager)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                return no_store(request)
            needed = perm if request.method in SAFE_METHODS or manage is None else manage
            for required in {perm, needed}:
                if not role_has(request.membership.role, required):
                    return forbidden(request, required)
            try:
                # Audit entries written by this request name its client's address.
                with audit_origin(client_address(request)):
                    return view(request, *args, **kwargs)
            except ApplicationError as exc:
                return application_error_response(request, exc)

        wrapped.dashboard_perm = perm
        wrapped.dashboard_manage_perm = manage
        return wrapped

    return decorator


def no_store(request: HttpRequest) -> HttpResponse:
    from ..forms import StoreCreateForm

    status = 200 if request.method in SAFE_METHODS else 403
    return render(request, "dashboard/no_store.html", {"form": StoreCreateForm()}, status=status)


def can(request: HttpRequest, perm: Perm | str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_has(membership.role, perm)
