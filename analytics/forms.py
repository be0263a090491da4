"""The Analytics area's period and filters (a GET form: the page's address is shareable)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django import forms

from messaging.models import Channel, Journey
from tenants.models import Tenant

from .filters import filters_from
from .kpis import Filters, Period
from .selectors import default_period, filter_choices, period_parse

PRESETS = ((7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 12 months"))


class AnalyticsFilterForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    journey = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    locale = forms.ChoiceField(required=False, label="Language")
    carrier = forms.ChoiceField(required=False)

    def __init__(self, tenant: Tenant, data=None):
        self.default = default_period(tenant)
        super().__init__(data, initial={"start": self.default.first, "end": self.default.last})
        self._choices("journey", [("", "Any journey"), *Journey.objects.values_list(
            "pk", "name").order_by("name", "pk")])
        locales, carriers = filter_choices(tenant)
        self._choices("locale", [("", "Any language"),
                                 *((code, code.upper()) for code in locales)])
        self._choices("carrier", [("", "Any carrier"), *((code, code) for code in carriers)])

    def _choices(self, name: str, choices: list[tuple[object, str]]) -> None:
        """A choice field's options, known per tenant (the fields are declared above)."""
        cast(forms.ChoiceField, self.fields[name]).choices = choices

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            period, problems = period_parse(data["start"], data["end"])
            for name, words in problems.items():
                self.add_error("start" if name == "from" else "end", words)
            data["period"] = period
        return data

    def period_and_filters(self) -> tuple[Period, Filters]:
        """What the page shows: the chosen period and filters, or the last 30 days when the
        form was not sent or not valid (its errors are shown beside the fields)."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("period"):
            return self.cleaned_data["period"], filters_from(self.cleaned_data)
        return self.default, Filters()


def preset_periods(today) -> list[tuple[str, Period]]:
    return [(label, Period(today - timedelta(days=days - 1), today)) for days, label in PRESETS]
