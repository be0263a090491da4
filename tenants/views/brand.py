"""Settings → Brand: logo, colours, font, senders, footer, social links and tracking domain,
beside a live preview (static/js/brand-preview.js) that follows the form before it is saved."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from config.errors import ApplicationError

from .. import services
from ..forms import BrandForm
from ..models import Brand, Tenant
from ..permissions import Perm
from ..selectors import FONT_STACKS
from .base import add_error_to_form, can, dashboard_view


def _replace_logo(tenant: Tenant, brand: Brand, upload, *, remove: bool) -> None:
    """The service validates text fields; the file is ours to store. A fresh random name per
    upload means shopper pages and e-mail clients never show a cached old logo."""
    old = brand.logo.name if brand.logo else ""
    if upload is not None:
        name = f"{tenant.slug}-{secrets.token_hex(6)}.{upload.logo_extension}"
        brand.logo.save(name, upload, save=False)
    elif remove:
        brand.logo = ""
    else:
        return
    brand.save(update_fields=["logo", "updated_at"])
    if old and old != brand.logo.name:
        storage = brand.logo.storage
        transaction.on_commit(lambda: storage.delete(old))


@dashboard_view(Perm.BRAND_VIEW, manage=Perm.BRAND_MANAGE)
def brand_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    brand = services.brand_get(tenant)
    editable = can(request, Perm.BRAND_MANAGE)
    if request.method == "POST":
        form = BrandForm.for_brand(brand, request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    brand = services.brand_update(tenant, actor=request.user,
                                                  **form.service_fields())
                    _replace_logo(tenant, brand, form.cleaned_data["logo"],
                                  remove=form.cleaned_data["remove_logo"])
            except ApplicationError as exc:
                add_error_to_form(form, exc)
            else:
                messages.success(request, "Brand saved. New messages and pages use it from now on.")
                return redirect("dashboard:settings-brand")
    else:
        form = BrandForm.for_brand(brand)
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "settings/brand.html", {
        "form": form, "brand": brand, "editable": editable, "font_stacks": FONT_STACKS,
        "preview_font": FONT_STACKS.get(brand.font, FONT_STACKS[Brand.Font.SYSTEM]),
        "settings_active": "brand",
    })
