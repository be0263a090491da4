"""Settings → Members: the team, their roles, and invitations.

Row actions (change role, remove, revoke) answer htmx requests with the updated row, so the
page does not reload; without JavaScript the same forms post normally and redirect back.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import ApplicationError, ValidationFailed

from .. import services
from ..access import access_invitation, access_membership
from ..forms import InviteForm, MemberRoleForm
from ..models import Invitation, Membership
from ..permissions import ASSIGNABLE_ROLES, Perm, Role
from .base import add_error_to_form, can, dashboard_view, is_htmx, with_flash

ROLE_ORDER = {role: n for n, role in enumerate(Role.values)}


def _row_context(request: HttpRequest, membership: Membership, **extra) -> dict:
    my_role = request.membership.role
    manageable = can(request, Perm.MEMBERS_MANAGE) and (
        membership.role != Role.OWNER or my_role == Role.OWNER)
    return {
        "m": membership,
        "is_self": membership.user_id == request.user.pk,
        "can_manage": manageable,
        "role_choices": [(v, label) for v, label in Role.choices
                         if v in ASSIGNABLE_ROLES.get(my_role, ()) or v == membership.role],
        **extra,
    }


def _page(request: HttpRequest, invite_form: InviteForm | None = None) -> HttpResponse:
    members = sorted(
        Membership.objects.select_related("user"),
        key=lambda m: (ROLE_ORDER.get(m.role, 99), m.user.email.lower()),
    )
    invitations = (Invitation.objects.filter(accepted_at=None, revoked_at=None,
                                             expires_at__gt=timezone.now())
                   .select_related("invited_by"))
    return render(request, "settings/members.html", {
        "rows": [_row_context(request, m) for m in members],
        "invitations": invitations,
        "invite_form": invite_form or InviteForm(actor_role=request.membership.role),
        "can_manage": can(request, Perm.MEMBERS_MANAGE),
        "role_help": ROLE_HELP,
        "settings_active": "members",
    })


ROLE_HELP = [
    (Role.OWNER.label, "Everything, including other owners and closing the account."),
    (Role.ADMIN.label, "Everything except changing owners."),
    (Role.MARKETER.label, "Brand, journeys and templates; sees orders and analytics."),
    (Role.AGENT.label, "Support: orders, shipments, messages and returns."),
    (Role.VIEWER.label, "Sees everything a support agent sees, changes nothing."),
]


@dashboard_view(Perm.MEMBERS_VIEW, manage=Perm.MEMBERS_MANAGE)
def members(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@dashboard_view(Perm.MEMBERS_VIEW, manage=Perm.MEMBERS_MANAGE)
def member_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST, actor_role=request.membership.role)
    if form.is_valid():
        try:
            invitation, _ = services.invitation_create(
                request.tenant, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                actor=request.user)
        except ApplicationError as exc:
            add_error_to_form(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}. "
                                      "The link works once and expires in 7 days.")
            return redirect("dashboard:settings-members")
    return _page(request, invite_form=form)


def _htmx_redirect(url: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


@require_POST
@dashboard_view(Perm.MEMBERS_VIEW, manage=Perm.MEMBERS_MANAGE)
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access_membership(request.tenant, membership_id)
    form = MemberRoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed("Choose one of the roles in the list.")
        membership = services.membership_change_role(
            request.tenant, membership.pk, form.cleaned_data["role"], actor=request.user)
    except ApplicationError as exc:
        if is_htmx(request):
            return render(request, "settings/_member_row.html",
                          _row_context(request, membership, error=exc.message))
        messages.error(request, exc.message)
        return redirect("dashboard:settings-members")
    done = f"{membership.user.email} is now {membership.get_role_display().lower()}."
    if not is_htmx(request):
        messages.success(request, done)
        return redirect("dashboard:settings-members")
    if membership.user_id == request.user.pk:
        # One's own role decides what this page may show: reload it whole.
        messages.success(request, done)
        return _htmx_redirect(reverse("dashboard:settings-members"))
    response = render(request, "settings/_member_row.html", _row_context(request, membership))
    return with_flash(response, request, done, level="success")


@require_POST
@dashboard_view(Perm.MEMBERS_VIEW, manage=Perm.MEMBERS_MANAGE)
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access_membership(request.tenant, membership_id)
    email, leaving = membership.user.email, membership.user_id == request.user.pk
    try:
        services.membership_remove(request.tenant, membership.pk, actor=request.user)
    except ApplicationError as exc:
        if is_htmx(request):
            return render(request, "settings/_member_row.html",
                          _row_context(request, membership, error=exc.message))
        messages.error(request, exc.message)
        return redirect("dashboard:settings-members")
    if leaving:
        messages.success(request, f"You left {request.tenant.name}.")
        return _htmx_redirect("/") if is_htmx(request) else redirect("dashboard:home")
    done = f"{email} no longer has access to {request.tenant.name}."
    if is_htmx(request):
        return with_flash(HttpResponse(""), request, done, level="success")  # the row goes
    messages.success(request, done)
    return redirect("dashboard:settings-members")


@require_POST
@dashboard_view(Perm.MEMBERS_VIEW, manage=Perm.MEMBERS_MANAGE)
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = access_invitation(request.tenant, invitation_id)
    services.invitation_revoke(request.tenant, invitation.pk, actor=request.user)
    done = f"The invitation for {invitation.email} no longer works."
    if is_htmx(request):
        return with_flash(HttpResponse(""), request, done, level="success")
    messages.success(request, done)
    return redirect("dashboard:settings-members")
