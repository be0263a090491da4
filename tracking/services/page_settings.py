"""The tenant's tracking-page settings (TrackingPageSettings, one row per tenant): the apology
offer, which blocks show, the returns button, the languages offered. Read through
`tracking.selectors.tracking_page_settings_get` (the defaults until a change is saved); the
cached pages are forgotten after commit by tracking/public/receivers.py (post_save)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from config.errors import ValidationFailed
from tenants.context import require_tenant
from tenants.models import Tenant

from ..models import TrackingPageSettings

logger = logging.getLogger(__name__)

FIELDS = frozenset({"apology_text", "apology_code", "show_items", "show_recommendations",
                    "show_help", "returns_enabled", "languages"})
APOLOGY_TEXT_MAX = TrackingPageSettings.APOLOGY_TEXT_MAX
APOLOGY_CODE_MAX = TrackingPageSettings.APOLOGY_CODE_MAX


def _clean(fields: dict) -> dict:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        errors.update({name: ["Unknown setting."] for name in unknown})
    cleaned = {k: v for k, v in fields.items() if k in FIELDS}
    for name, limit in (("apology_text", APOLOGY_TEXT_MAX), ("apology_code", APOLOGY_CODE_MAX)):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
            if len(cleaned[name]) > limit:
                errors[name] = [f"Keep it to {limit} characters."]
    if cleaned.get("apology_code") and not cleaned.get("apology_text", "x"):
        errors["apology_code"] = ["Add a few words to go with the code: shoppers see both."]
    if "languages" in cleaned:
        known = [code for code, _name in settings.LANGUAGES]
        chosen = list(dict.fromkeys(cleaned["languages"] or ()))
        strange = [code for code in chosen if code not in known]
        if strange:
            errors["languages"] = [f"Unknown language {', '.join(strange)}; use "
                                   f"{', '.join(known)}."]
        elif not chosen:
            errors["languages"] = ["Offer at least one language."]
        # Every language chosen is stored as "all": one Doorstep adds later is offered too.
        cleaned["languages"] = [] if set(chosen) == set(known) else \
            [code for code in known if code in chosen]
    if errors:
        raise ValidationFailed(details=errors)
    return cleaned


def tracking_page_settings_update(tenant: Tenant, *, actor=None, **fields) -> TrackingPageSettings:
    """Change some of the page's settings. Fields were shaped by a form or serializer; they
    are checked again here so every way in obeys the same rules."""
    require_tenant(tenant)
    cleaned = _clean(fields)
    with transaction.atomic():
        row, _ = TrackingPageSettings.objects.unscoped(
            reason="one row per tenant, looked up by tenant").select_for_update() \
            .get_or_create(tenant=tenant)
        for name, value in cleaned.items():
            setattr(row, name, value)
        row.save()
    logger.info("tracking page settings changed", extra={
        "fields": sorted(cleaned), "actor": getattr(actor, "pk", None)})
    return row
