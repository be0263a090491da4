"""Settings → Tracking: when a parcel counts as stuck or late (tracking/silence.py)."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from config.errors import ApplicationError
from tenants.permissions import Perm
from tenants.views.base import add_error_to_form, can, dashboard_view

from . import silence
from .models import TrackingSettings

_CARRIER_LINE = re.compile(r"^\s*(?P<carrier>[^=:]+?)\s*[=:]\s*(?P<hours>\S+)\s*$")


class TrackingSettingsForm(forms.Form):
    label_silence_hours = forms.IntegerField(
        label="Label created, no carrier scan", min_value=silence.HOURS_MIN,
        max_value=silence.HOURS_MAX,
        help_text="Working hours after you create a label before we flag the parcel as stuck "
                  "if the carrier has not scanned it yet (it was probably never handed over).")
    transit_silence_hours = forms.IntegerField(
        label="On its way, no news", min_value=silence.HOURS_MIN, max_value=silence.HOURS_MAX,
        help_text="Working hours without a new carrier scan before we flag a parcel on its way "
                  "as stuck.")
    carrier_silence_hours = forms.CharField(
        label="Carriers that scan less often", required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "USPS = 96\nDHL = 48"}),
        help_text="One carrier per line with its own number of working hours, e.g. "
                  "<code>USPS = 96</code>. Other carriers use the number above.")
    pickup_wait_days = forms.IntegerField(
        label="Waiting at a pickup point", min_value=silence.PICKUP_DAYS_MIN,
        max_value=silence.PICKUP_DAYS_MAX,
        help_text="Working days a parcel may wait at a pickup point or locker before we flag "
                  "it as not collected.")
    detect_delays = forms.BooleanField(
        label="Flag late parcels", required=False,
        help_text="A parcel is late when the delivery date you promised (or, if you promised "
                  "none, the carrier's estimate) has passed and it has not arrived.")

    @classmethod
    def for_settings(cls, row: TrackingSettings, data=None) -> TrackingSettingsForm:
        lines = "\n".join(f"{code} = {hours}" for code, hours in
                          sorted((row.carrier_silence_hours or {}).items()))
        return cls(data, initial={
            "label_silence_hours": row.label_silence_hours,
            "transit_silence_hours": row.transit_silence_hours,
            "carrier_silence_hours": lines, "pickup_wait_days": row.pickup_wait_days,
            "detect_delays": row.detect_delays,
        })

    def clean_carrier_silence_hours(self) -> dict[str, int]:
        parsed: dict[str, object] = {}
        for number, line in enumerate(self.cleaned_data["carrier_silence_hours"].splitlines(), 1):
            if not line.strip():
                continue
            match = _CARRIER_LINE.match(line)
            if match is None or not match["hours"].isdigit():
                raise forms.ValidationError(
                    f"Line {number}: write a carrier, an equals sign and hours, e.g. USPS = 96.")
            if match["carrier"] in parsed:
                raise forms.ValidationError(f"{match['carrier']} is listed twice.")
            parsed[match["carrier"]] = int(match["hours"])
        try:
            return silence.carrier_silence_hours_clean(parsed)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


@dashboard_view(Perm.TENANT_VIEW, manage=Perm.TENANT_MANAGE)
def tracking_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    current = silence.tracking_settings_get(tenant)
    form = TrackingSettingsForm.for_settings(
        current, request.POST if request.method == "POST" else None)
    editable = can(request, Perm.TENANT_MANAGE)
    if request.method == "POST" and form.is_valid():
        changed = {k: v for k, v in form.cleaned_data.items() if getattr(current, k) != v}
        try:
            if changed:
                silence.tracking_settings_update(tenant, actor=request.user, **changed)
        except ApplicationError as exc:
            add_error_to_form(form, exc)
        else:
            messages.success(request, "Tracking settings saved." if changed else "Nothing to save.")
            return redirect("tracking-settings:tracking")
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "settings/tracking.html", {
        "form": form, "editable": editable, "settings_active": "tracking",
    })
