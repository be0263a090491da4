"""Figures as a retailer reads them, and the dashboard home's headline cards.

    {{ value|kpi_value:"rate" }}   "42.5 %", "3 days", "1,204", or "No data"
    {{ change|kpi_change }}        "+12 %", "−5 %", or "" (no comparison)
    {% analytics_headline %}       the overview's cards: last 30 days from the rollups
"""

from __future__ import annotations

from django import template

from ..selectors import headline

register = template.Library()

@register.filter
def kpi_value(value: float | int | None, unit: str = "count") -> str:
    if value is None:
        return "No data"
    if unit == "rate":
        return f"{value * 100:.1f} %"
    if unit == "days":
        return f"{value:g} day" + ("" if value == 1 else "s")
    if unit == "money" or (unit in ("stars", "views") and isinstance(value, float)):
        return f"{value:,.2f}"
    return f"{value:,}"


@register.filter
def kpi_change(change: float | None) -> str:
    if change is None:
        return ""
    sign = "+" if change >= 0 else "−"
    return f"{sign}{abs(change) * 100:.0f} %"


@register.filter
def change_tone(change: float | None) -> str:
    """up / down / flat, for the arrow's colour (whether up is good depends on the KPI)."""
    if change is None or abs(change) < 0.005:
        return "flat"
    return "up" if change > 0 else "down"


@register.inclusion_tag("analytics/_headline.html", takes_context=True)
def analytics_headline(context) -> dict:
    """The dashboard home's cards, for members who may see analytics."""
    request = context["request"]
    tenant = getattr(request, "tenant", None)
    if tenant is None or "analytics.view" not in context.get("perms", ()):
        return {"cards": []}
    report = headline(tenant)
    return {"cards": list(report.values.values()), "period": report.period}
