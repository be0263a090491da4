"""Figures as a retailer reads them, and the dashboard home's headline cards.

    {{ value|kpi_value:"rate" }}   "42.5 %", "3 days", "1,204", or "No data"
    {{ change|kpi_change }}        "+12 %", "−5 %", or "" (no comparison)
    {{ table|table_rows }}         a table's <tr> rows, "No data" where a figure has none
    {{ chart|chart_rows }}         a chart's table: a <tr> per day
    {% analytics_headline %}       the overview's cards: last 30 days from the rollups
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

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


_NO_DATA = mark_safe('<span class="muted">No data</span>')  # noqa: S308 (a constant)


@register.filter
def table_rows(table) -> SafeString:
    """The rows of an Analytics table (analytics.selectors.Table), each cell as `{{ cell }}`
    would show it: one filter instead of a template node per cell (the page has several
    hundred cells; rendering them one by one was most of its server time)."""
    if not table.rows:
        return format_html('<tr><td colspan="{}" class="muted">No data in this period.</td></tr>',
                           len(table.columns))
    return format_html_join("", "<tr>{}</tr>", (
        (format_html_join("", "<td>{}</td>", (
            (_NO_DATA if cell is None else conditional_escape(localize(cell)),) for cell in row)),)
        for row in table.rows))


@register.filter
def chart_rows(chart) -> SafeString:
    """A chart's table under it (analytics.charts.Chart): the day and its figure per row."""
    unit = chart.series.unit
    return format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", (
        (date_filter(day, "D j M Y"), kpi_value(value, unit)) for day, value in chart.rows))


@register.inclusion_tag("analytics/_headline.html", takes_context=True)
def analytics_headline(context) -> dict:
    """The dashboard home's cards, for members who may see analytics."""
    request = context["request"]
    tenant = getattr(request, "tenant", None)
    if tenant is None or "analytics.view" not in context.get("perms", ()):
        return {"cards": []}
    report = headline(tenant)
    return {"cards": list(report.values.values()), "period": report.period}
