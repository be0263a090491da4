"""Settings → General: the store's name, time zone, language and 2FA enforcement."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from config.errors import ApplicationError

from .. import services
from ..forms import TenantSettingsForm
from ..middleware import user_has_totp
from ..permissions import Perm
from .base import add_error_to_form, can, dashboard_view


@dashboard_view(Perm.TENANT_VIEW, manage=Perm.TENANT_MANAGE)
def general(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = TenantSettingsForm.for_tenant(tenant, request.POST if request.method == "POST" else None)
    editable = can(request, Perm.TENANT_MANAGE)
    if request.method == "POST" and form.is_valid():
        changed = {k: v for k, v in form.cleaned_data.items() if getattr(tenant, k) != v}
        try:
            if changed:
                services.tenant_update(tenant, actor=request.user, **changed)
        except ApplicationError as exc:
            add_error_to_form(form, exc)
        else:
            messages.success(request, "Store settings saved." if changed else "Nothing to save.")
            if changed.get("require_two_factor") and not user_has_totp(request.user):
                messages.info(request, "Set up your own authenticator app now: the store "
                                       "requires it from every member, you included.")
            return redirect("dashboard:settings-general")
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "settings/general.html", {
        "form": form, "editable": editable, "settings_active": "general",
    })
