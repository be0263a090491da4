"""The Analytics area: KPI cards beside the previous period, charts with their tables, the
breakdown tables, CSV exports of each, and drill-downs from a number to the messages or
shipments behind it. Figures come from the rollups only (analytics/selectors.py); the
drill-downs list raw rows a page at a time.

    /analytics/                       cards, charts, tables (GET form: period and filters)
    /analytics/export/?table=<name>   the same period and filters as CSV
    /analytics/messages/?outcome=…    the messages behind a messaging figure
    /analytics/shipments/?milestone=… the shipments behind a delivery figure
"""

from __future__ import annotations

import csv

from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from messaging import selectors as messaging_selectors
from messaging.models import MessageEvent
from tenants.permissions import Perm
from tenants.views.base import DashboardRequest, dashboard_view
from tenants.views.paging import page_of
from tracking import selectors as tracking_selectors
from tracking.models import ShipmentMilestone

from .charts import chart_of
from .forms import AnalyticsFilterForm, preset_periods
from .kpis import Filters, Period
from .rollups.maintain import day_bounds
from .selectors import (
    SERIES,
    Table,
    breakdowns,
    daily_series,
    dashboard,
    kpi_report,
    tenant_today,
)

SECTIONS = (("messaging", "Messaging"), ("delivery", "Delivery"), ("shopper", "Shopper"),
            ("revenue", "Repeat purchases"))

# Which raw rows stand behind a figure: (drill-down, its query).
DRILL: dict[str, tuple[str, dict[str, str]]] = {
    "emails_sent": ("messages", {"channel": "email"}),
    "emails_delivered": ("messages", {"channel": "email", "outcome": "delivered"}),
    "emails_bounced": ("messages", {"channel": "email", "outcome": "bounced"}),
    "unique_opens": ("messages", {"channel": "email", "outcome": "opened"}),
    "machine_opens": ("messages", {"channel": "email", "outcome": "machine_opened"}),
    "unique_clicks": ("messages", {"channel": "email", "outcome": "clicked"}),
    "unsubscribes": ("messages", {"outcome": "unsubscribed"}),
    "spam_reports": ("messages", {"channel": "email", "outcome": "spam"}),
    "sms_sent": ("messages", {"channel": "sms"}),
    "sms_delivered": ("messages", {"channel": "sms", "outcome": "delivered"}),
    "sms_failed": ("messages", {"channel": "sms", "outcome": "failed"}),
    "shipments_shipped": ("shipments", {"milestone": "shipped"}),
    "shipments_delivered": ("shipments", {"milestone": "delivered"}),
    "exceptions": ("shipments", {"milestone": "exception"}),
    "delayed_shipments": ("shipments", {"milestone": "delayed"}),
    "stalled_shipments": ("shipments", {"milestone": "stalled"}),
}


def _query(period: Period, filters: Filters, **extra: object) -> str:
    params = {"start": period.first, "end": period.last, "channel": filters.channel,
              "journey": filters.journey or "", "locale": filters.locale,
              "carrier": filters.carrier, **extra}
    return urlencode({k: str(v) for k, v in params.items() if v not in ("", None)})


def _context(request: DashboardRequest) -> tuple[AnalyticsFilterForm, Period, Filters]:
    form = AnalyticsFilterForm(request.tenant, request.GET or None)
    period, filters = form.period_and_filters()
    return form, period, filters


@dashboard_view(Perm.ANALYTICS_VIEW)
def analytics_home(request: DashboardRequest) -> HttpResponse:
    form, period, filters = _context(request)
    board = dashboard(request.tenant, period, filters)
    report = board.report
    for name, value in report.values.items():
        if name in DRILL:
            kind, params = DRILL[name]
            value.drill = reverse(f"analytics:{kind}") + "?" + _query(period, filters, **params)
    charts = [chart_of(series) for series in board.series]
    # The holdout has its own section (with the verdict in words); its table is the CSV's.
    tables = [table for table in board.tables if table.name != "holdout"]
    return render(request, "analytics/home.html", {
        "nav_active": "analytics", "form": form, "period": period, "report": report,
        "sections": [(title, report.section(key)) for key, title in SECTIONS],
        "charts": charts, "tables": tables, "query": _query(period, filters),
        "holdouts": board.holdouts,
        "presets": [(label, _query(p, filters)) for label, p in
                    preset_periods(tenant_today(request.tenant))],
    })


def _kpi_table(period: Period, filters: Filters, request: DashboardRequest) -> Table:
    report = kpi_report(request.tenant, period, filters)
    return Table("kpis", "KPIs", ("kpi", "label", "value", "previous", "change"),
                 [(v.kpi.name, v.kpi.label, v.value, v.previous, v.change)
                  for v in report.values.values()])


def _csv_cell(value: object) -> object:
    # Spreadsheets run a cell starting with = + - @ as a formula: values here are ours
    # (codes, numbers), but a carrier or locale code comes from outside.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


@dashboard_view(Perm.ANALYTICS_VIEW)
def analytics_export(request: DashboardRequest) -> HttpResponse:
    """One table of the page as CSV, for the same period and filters."""
    _, period, filters = _context(request)
    name = request.GET.get("table", "kpis")
    if name == "kpis":
        table = _kpi_table(period, filters, request)
    elif name in SERIES:
        series = next(s for s in daily_series(period, filters) if s.name == name)
        table = Table(series.name, series.title, ("day", series.name),
                      list(zip(series.days, series.values, strict=True)))
    else:
        found = next((t for t in breakdowns(period, filters) if t.name == name), None)
        if found is None:
            raise Http404("No such table.")
        table = found
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="{table.name}-{period.first}-'
                                       f'{period.last}.csv"')
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return response


OUTCOMES = {
    "delivered": Q(delivered_at__isnull=False),
    "bounced": Q(status="bounced"),
    "failed": Q(status="failed"),
    "opened": Q(opened_at__isnull=False) | Q(clicked_at__isnull=False),
    "clicked": Q(clicked_at__isnull=False),
}
# Outcomes known from the message's events (analytics/rollups/sources.py says the same).
EVENT_OUTCOMES = {
    "machine_opened": Q(kind="open", data__sg_machine_open=True)
    | Q(kind="open", data__sg_machine_open="true"),
    "unsubscribed": Q(kind__in=("unsubscribe", "group_unsubscribe")),
    "spam": Q(kind="spamreport"),
}


@dashboard_view(Perm.ANALYTICS_VIEW)
def analytics_messages(request: DashboardRequest) -> HttpResponse:
    """The messages behind a messaging figure: sent in the period, with the outcome."""
    form, period, filters = _context(request)
    lo, hi = day_bounds(request.tenant, [period.first, period.last])
    rows = (messaging_selectors.message_list(request.tenant, channel=filters.channel or None,
                                             milestone=request.GET.get("milestone") or None,
                                             with_events=False)
            .defer("html_body", "text_body", "links")
            .filter(sent_at__gte=lo, sent_at__lt=hi))
    if filters.journey:
        rows = rows.filter(rule__journey_id=filters.journey)
    if filters.locale:
        rows = rows.filter(locale=filters.locale)
    outcome = request.GET.get("outcome", "")
    if outcome in OUTCOMES:
        rows = rows.filter(OUTCOMES[outcome])
    elif outcome in EVENT_OUTCOMES:
        events = MessageEvent.objects.filter(EVENT_OUTCOMES[outcome], message=OuterRef("pk"))
        rows = rows.filter(Exists(events))
        if outcome == "machine_opened":
            rows = rows.filter(opened_at__isnull=True, clicked_at__isnull=True)
    elif outcome:
        raise Http404("No such outcome.")
    page = page_of(request, rows.order_by("-sent_at", "-pk"))
    return render(request, "analytics/messages.html", {
        "nav_active": "analytics", "drill": "messages", "form": form, "period": period,
        "page": page,
        "outcome": outcome, "back": reverse("analytics:home") + "?" + _query(period, filters)})


MILESTONES = ("shipped", "delivered", "exception", "delayed", "stalled")


@dashboard_view(Perm.ANALYTICS_VIEW)
def analytics_shipments(request: DashboardRequest) -> HttpResponse:
    """The shipments behind a delivery figure: those that reached the milestone that day."""
    form, period, filters = _context(request)
    milestone = request.GET.get("milestone", "delivered")
    if milestone not in MILESTONES:
        raise Http404("No such milestone.")
    lo, hi = day_bounds(request.tenant, [period.first, period.last])
    reached = ShipmentMilestone.objects.filter(shipment=OuterRef("pk"), milestone=milestone,
                                               occurred_at__gte=lo, occurred_at__lt=hi)
    rows = (tracking_selectors.shipment_list(request.tenant, carrier=filters.carrier or None)
            .filter(Exists(reached)).order_by("-pk"))
    page = page_of(request, rows)
    return render(request, "analytics/shipments.html", {
        "nav_active": "analytics", "drill": "shipments", "form": form, "period": period,
        "page": page,
        "milestone": milestone,
        "back": reverse("analytics:home") + "?" + _query(period, filters)})

