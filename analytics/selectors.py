"""Reads of the Analytics area, the dashboard's headline cards, the KPI API and the exports:
all from the rollup tables (analytics/models.py), in the caller's tenant scope, each from one
statement (analytics/figures.py) that the KPI formulas (analytics/kpis.py) then read.

    dashboard(tenant, period, filters)   all of the below from one read (the Analytics page)
    kpi_report(tenant, period, filters)  every KPI of the period and of the one before it
    breakdowns(period, filters)          the tables under the charts (per channel, milestone,
                                         template version; per carrier; causes; stars)
    daily_series(period, filters)        per-day figures for the charts
    kpis_compute(period, filters)        the KPIs of one period, by name
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from tenants.context import require_current_tenant
from tenants.models import Tenant

from .figures import TOP_PRODUCTS, Figures, figures_read, filter_choices_read
from .holdout import Comparison
from .kpis import KPIS, MESSAGE_SUMS, SHIPMENT_SUMS, Filters, Kpi, Period, kpis_from, percentile, ratio

MAX_DAYS = 731  # two years: a longer range is refused, not silently cut
# Days outside these are refused: nothing happened then, and the previous period of a day near
# date.min could not be computed.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def tenant_today(tenant: Tenant) -> date:
    """Today in the store's time zone (the last day the rollups count)."""
    return timezone.now().astimezone(ZoneInfo(tenant.timezone)).date()


def default_period(tenant: Tenant, days: int = 30) -> Period:
    """The last `days` days, today included."""
    today = tenant_today(tenant)
    return Period(today - timedelta(days=days - 1), today)


@dataclass
class KpiValue:
    kpi: Kpi
    value: float | int | None
    previous: float | int | None
    drill: str = ""  # the page listing the rows behind the figure, where there is one

    @property
    def change(self) -> float | None:
        """The relative change against the previous period; None when either is unknown or
        the previous was 0 (a change "from nothing" has no percentage)."""
        if self.value is None or self.previous is None or not self.previous:
            return None
        return (self.value - self.previous) / self.previous


@dataclass
class KpiReport:
    period: Period
    previous_period: Period
    filters: Filters
    values: dict[str, KpiValue] = field(default_factory=dict)

    def section(self, name: str) -> list[KpiValue]:
        return [value for value in self.values.values() if value.kpi.section == name]


@dataclass
class Dashboard:
    """Everything the Analytics area shows for a period, from one read of the rollups."""

    report: KpiReport
    tables: list[Table]
    series: list[Series]
    holdouts: list[HoldoutResult]


def dashboard(tenant: Tenant, period: Period, filters: Filters, *,
              cached: bool = True) -> Dashboard:
    """The cards (against the previous period), the tables and the daily series: one
    statement (analytics/figures.py), kept until the store's next rollup run unless
    `cached` is false (analytics/cache.py)."""
    today = tenant_today(tenant)
    figures = figures_read(tenant.pk, period, filters, today=today, cached=cached)
    holdouts = _holdout_results(figures)
    return Dashboard(_report(period, filters, figures), _tables(figures, holdouts),
                     _series(period, figures), holdouts)


def kpi_report(tenant: Tenant, period: Period, filters: Filters) -> KpiReport:
    return dashboard(tenant, period, filters).report


def kpis_compute(period: Period, filters: Filters, *,
                 today: date | None = None) -> dict[str, float | int | None]:
    """Every KPI of the period for the tenant in scope (`today`: the clock of the repeat
    windows; the store's today unless given)."""
    tenant = require_current_tenant()
    figures = figures_read(tenant.pk, period, filters, today=today or tenant_today(tenant))
    return kpis_from(figures.now)


def _report(period: Period, filters: Filters, figures: Figures) -> KpiReport:
    current, previous = kpis_from(figures.now), kpis_from(figures.before)
    report = KpiReport(period, period.previous(), filters)
    for kpi in KPIS:
        report.values[kpi.name] = KpiValue(kpi, current[kpi.name], previous[kpi.name])
    return report


HEADLINE = ("emails_sent", "open_rate", "on_time_rate", "csat_average")


def headline(tenant: Tenant) -> KpiReport:
    """The dashboard home's cards: the last 30 days against the 30 before, by the same read
    and formulas as the Analytics area's."""
    full = kpi_report(tenant, default_period(tenant), Filters())
    report = KpiReport(full.period, full.previous_period, full.filters)
    report.values = {name: full.values[name] for name in HEADLINE}
    return report


@dataclass(frozen=True)
class Table:
    """A table under a chart, as the page, the CSV and the API show it."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]


MESSAGE_COLUMNS = ("sent", "delivered", "bounced", "failed", "unique_opens", "machine_opens",
                   "unique_clicks", "open_rate", "click_rate", "unsubscribes", "spam_reports")


def _message_row(keys: tuple, sums: list[int]) -> tuple:
    row = dict(zip(MESSAGE_SUMS, sums, strict=True))
    return (*keys, row["sent"], row["delivered"], row["bounced"], row["failed"], row["opened"],
            row["machine_opened"], row["clicked"], ratio(row["opened"], row["delivered"]),
            ratio(row["clicked"], row["delivered"]), row["unsubscribed"], row["spam_reports"])


def breakdowns(period: Period, filters: Filters) -> list[Table]:
    """Every table of the Analytics area for the period (the tenant in scope)."""
    return dashboard(require_current_tenant(), period, filters).tables


def _tables(figures: Figures, holdouts: list[HoldoutResult]) -> list[Table]:
    # Per channel and milestone: the template versions' rows (sorted by channel, milestone,
    # version), added up.
    by_milestone: dict[tuple[str, str], list[int]] = {}
    for channel, milestone, _, *sums in figures.messages:
        total = by_milestone.setdefault((channel, milestone), [0] * len(sums))
        for index, value in enumerate(sums):
            total[index] += value
    tables = [
        Table("messages_by_milestone", "Messages per channel and milestone",
              ("channel", "milestone", *MESSAGE_COLUMNS),
              [_message_row(key, sums) for key, sums in by_milestone.items()]),
        Table("messages_by_template_version", "Messages per template version",
              ("channel", "milestone", "template_version_id", *MESSAGE_COLUMNS),
              [_message_row(tuple(row[:3]), row[3:]) for row in figures.messages]),
    ]
    carriers = []
    for carrier, service, *sums in figures.shipments:
        row = dict(zip(SHIPMENT_SUMS, sums, strict=True))
        carriers.append((carrier, service, row["shipped"], row["delivered"],
                         ratio(row["on_time_promise"], row["with_promise"]),
                         ratio(row["on_time_estimate"], row["with_estimate"]),
                         row["exceptions"], row["delayed"], row["stalled"]))
    tables.append(Table(
        "delivery_by_carrier", "Delivery per carrier and service",
        ("carrier", "service", "shipped", "delivered", "on_time_rate",
         "on_time_rate_first_estimate", "exceptions", "delayed", "stalled"), carriers))
    tables.append(Table(
        "transit_by_carrier", "Transit days per carrier",
        ("carrier", "delivered", "transit_days_median", "transit_days_p90"),
        [(carrier, sum(n for _, n in histogram), percentile(histogram, 0.5),
          percentile(histogram, 0.9)) for carrier, histogram in figures.transit.items()]))
    tables.append(Table("exceptions_by_cause", "Exceptions by who caused them",
                        ("carrier", "cause", "shipments"), list(figures.exceptions)))
    stars = figures.now.ratings
    rated = sum(stars.values())
    tables.append(Table(
        "ratings", "Delivery ratings", ("stars", "ratings", "share"),
        [(n, stars.get(n, 0), ratio(stars.get(n, 0), rated)) for n in range(5, 0, -1)]))
    tables.extend(_returns_tables(figures))
    tables.append(holdout_table(holdouts))
    tables.append(_placements_table(figures))
    return tables


def _placements_table(figures: Figures) -> Table:
    seen, earned = figures.shown, figures.attributed
    keys = sorted({(*key, "") for key in seen if not any(e[:2] == key for e in earned)}
                  | set(earned))
    rows = []
    for surface, milestone, currency in keys:
        shown, clicks = seen.get((surface, milestone), (0, 0))
        orders, revenue, recommended = earned.get((surface, milestone, currency), (0, 0, 0))
        rows.append((surface, milestone, shown, clicks, ratio(clicks, shown), currency, orders,
                     revenue, recommended))
    return Table("recommendations_by_placement", "Recommendations per placement",
                 ("surface", "milestone", "shown", "clicks", "click_rate", "currency", "orders",
                  "revenue", "recommended_products_revenue"), rows)


@dataclass(frozen=True)
class HoldoutResult:
    rule_id: int
    rule_name: str
    comparison: Comparison


def holdout_results(period: Period) -> list[HoldoutResult]:
    """Per rule with a holdout: shoppers messaged (or held out) in the period, and how many
    ordered again within 30 days; only messages planned at least 30 days before today count
    fully, so the figures of the last month still grow."""
    return dashboard(require_current_tenant(), period, Filters()).holdouts


def _holdout_results(figures: Figures) -> list[HoldoutResult]:
    return [HoldoutResult(rule_id, name or f"Rule {rule_id} (deleted)", Comparison(
        *groups.get("treated", (0, 0)), *groups.get("holdout", (0, 0))))
        for rule_id, (name, groups) in sorted(figures.holdout.items())]


def holdout_table(results: list[HoldoutResult]) -> Table:
    return Table("holdout", "Holdout: repeat purchases within 30 days, sent vs held out",
                 ("rule", "sent", "sent_rate", "held_out", "held_out_rate", "difference",
                  "interval_low", "interval_high", "significant"),
                 [(r.rule_name, r.comparison.treated, r.comparison.treated_rate,
                   r.comparison.holdout, r.comparison.holdout_rate, r.comparison.difference,
                   *(r.comparison.interval or (None, None)), r.comparison.significant)
                  for r in results])


def _returns_tables(figures: Figures) -> list[Table]:
    sold, returned = figures.sales_by_category, figures.returns_by_category
    return [
        Table("returns_by_reason", "Returns by reason", ("reason", "lines", "units", "value"),
              list(figures.returns_by_reason)),
        Table("returns_by_category", "Returns per category",
              ("category", "units_sold", "units_returned", "return_rate"),
              [(category, sold.get(category, 0), returned.get(category, 0),
                ratio(returned.get(category, 0), sold.get(category, 0)))
               for category in sorted(set(sold) | set(returned))]),
        Table("returns_by_product", f"Most returned products (top {TOP_PRODUCTS})",
              ("product_id", "title", "units_sold", "units_returned", "return_rate"),
              [(product_id, title, units_sold, units, ratio(units, units_sold))
               for product_id, title, units_sold, units in figures.products]),
    ]


@dataclass(frozen=True)
class Series:
    """One chart: a value per day of the period (None: no data that day)."""

    name: str
    title: str
    unit: str
    days: list[date]
    values: list[float | int | None]


SERIES = ("emails_sent", "open_rate", "shipments_delivered", "on_time_rate")


def daily_series(period: Period, filters: Filters) -> list[Series]:
    """The figures the charts draw, day by day (the tenant in scope)."""
    return dashboard(require_current_tenant(), period, filters).series


def _series(period: Period, figures: Figures) -> list[Series]:
    days = [period.first + timedelta(days=n) for n in range(period.days)]
    email, ships = figures.message_days, figures.shipment_days
    sent: list[float | int | None] = []
    opened: list[float | int | None] = []
    delivered: list[float | int | None] = []
    on_time: list[float | int | None] = []
    for day in days:  # one pass: a year is 365 days × 4 series
        row = email.get(day)
        sent.append(row["sent"] if row else 0)
        opened.append(ratio(row["opened"], row["delivered"]) if row else None)
        row = ships.get(day)
        delivered.append(row["delivered"] if row else 0)
        on_time.append(ratio(row["on_time_promise"], row["with_promise"]) if row else None)
    return [
        Series("emails_sent", "E-mails sent", "count", days, sent),
        Series("open_rate", "Open rate", "rate", days, opened),
        Series("shipments_delivered", "Shipments delivered", "count", days, delivered),
        Series("on_time_rate", "On time (promised date)", "rate", days, on_time),
    ]


def filter_choices(tenant: Tenant) -> tuple[list[str], list[str]]:
    """The languages and carriers the store's rollups know (the filters' choices), kept with
    its figures until its next rollup run."""
    return filter_choices_read(tenant.pk)


def period_parse(first: date, last: date) -> tuple[Period | None, dict[str, str]]:
    """A period from two days, or the problem with each (by field name) in words."""
    if not EARLIEST <= first <= LATEST:
        return None, {"from": f"Choose a day from {EARLIEST} to {LATEST}."}
    if not EARLIEST <= last <= LATEST:
        return None, {"to": f"Choose a day from {EARLIEST} to {LATEST}."}
    if last < first:
        return None, {"to": "The end date is before the start date."}
    if (last - first).days + 1 > MAX_DAYS:
        return None, {"to": f"A period is at most {MAX_DAYS} days long."}
    return Period(first, last), {}


def local_midnight(tenant: Tenant, day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), ZoneInfo(tenant.timezone))
