"""Reads of the Analytics area, the dashboard's headline cards, the KPI API and the exports:
all from the rollup tables (analytics/models.py), in the caller's tenant scope.

    kpi_report(tenant, period, filters)  every KPI of the period and of the one before it
    breakdowns(period, filters)          the tables under the charts (per channel, milestone,
                                         template version; per carrier; causes; stars)
    daily_series(period, filters)        per-day figures for the charts
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, Sum
from django.utils import timezone

from messaging.models import JourneyRule
from orders.models import Product
from tenants.models import Tenant

from .holdout import Comparison
from .kpis import (
    KPI_BY_NAME,
    KPIS,
    MESSAGE_SUMS,
    REPEAT_WINDOWS,
    SHIPMENT_SUMS,
    Filters,
    Kpi,
    Period,
    Totals,
    percentile,
    ratio,
    split_sums,
    totals_get,
)
from .kpis import kpis_from as _kpis_from
from .models import (
    AttributionDay,
    ExceptionDay,
    HoldoutDay,
    MessageDay,
    RatingDay,
    RecommendationDay,
    ReturnDay,
    SalesDay,
    ShipmentDay,
    TransitDay,
)

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


def kpi_report(tenant: Tenant, period: Period, filters: Filters) -> KpiReport:
    today = tenant_today(tenant)
    previous_period = period.previous()
    current = _kpis_from(totals_get(period, filters, today=today))
    previous = _kpis_from(totals_get(previous_period, filters, today=today))
    report = KpiReport(period, previous_period, filters)
    for kpi in KPIS:
        report.values[kpi.name] = KpiValue(kpi, current[kpi.name], previous[kpi.name])
    return report


HEADLINE = ("emails_sent", "open_rate", "on_time_rate", "csat_average")


def headline(tenant: Tenant) -> KpiReport:
    """The dashboard home's cards: the last 30 days against the 30 before, in three queries
    (one per rollup table they read, both periods at once), by the same formulas."""
    period = default_period(tenant)
    previous_period = period.previous()
    both = Q(day__gte=previous_period.first, day__lte=period.last)
    halves = (("now", period), ("before", previous_period))

    parts = {half: _in(p) for half, p in halves}
    email = split_sums(MessageDay.objects.filter(both, channel="email"), MESSAGE_SUMS, parts)
    shipments = split_sums(ShipmentDay.objects.filter(both), SHIPMENT_SUMS, parts)
    ratings: dict[str, dict[int, int]] = {"now": {}, "before": {}}
    for rating, now, before in (RatingDay.objects.filter(both).values("rating")
                                .annotate(now=Sum("ratings", filter=_in(period)),
                                          before=Sum("ratings", filter=_in(previous_period)))
                                .values_list("rating", "now", "before")):
        ratings["now"][rating], ratings["before"][rating] = now or 0, before or 0
    values = {half: _kpis_from(Totals(
        email=email[half], sms=dict.fromkeys(MESSAGE_SUMS, 0), shipments=shipments[half],
        transit=[], exceptions={}, views=0, ratings=ratings[half],
        repeat={f"{k}_{w}": 0 for k in ("delivered", "repeat") for w in REPEAT_WINDOWS}))
        for half, _ in halves}
    report = KpiReport(period, previous_period, Filters())
    for name in HEADLINE:
        report.values[name] = KpiValue(KPI_BY_NAME[name], values["now"][name],
                                       values["before"][name])
    return report


def _in(period: Period) -> Q:
    return Q(day__gte=period.first, day__lte=period.last)


@dataclass(frozen=True)
class Table:
    """A table under a chart, as the page, the CSV and the API show it."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]


def _message_rows(period: Period, filters: Filters, by: tuple[str, ...]) -> list[tuple]:
    sums = (MessageDay.objects.filter(_in(period), filters.messages()).values(*by)
            .annotate(**{name: Sum(name) for name in MESSAGE_SUMS}).order_by(*by))
    return [(*(row[k] for k in by), row["sent"], row["delivered"], row["bounced"],
             row["failed"], row["opened"], row["machine_opened"], row["clicked"],
             ratio(row["opened"], row["delivered"]), ratio(row["clicked"], row["delivered"]),
             row["unsubscribed"], row["spam_reports"]) for row in sums]


MESSAGE_COLUMNS = ("sent", "delivered", "bounced", "failed", "unique_opens", "machine_opens",
                   "unique_clicks", "open_rate", "click_rate", "unsubscribes", "spam_reports")


def breakdowns(period: Period, filters: Filters) -> list[Table]:
    """Every table of the Analytics area for the period."""
    tables = [
        Table("messages_by_milestone", "Messages per channel and milestone",
              ("channel", "milestone", *MESSAGE_COLUMNS),
              _message_rows(period, filters, ("channel", "milestone"))),
        Table("messages_by_template_version", "Messages per template version",
              ("channel", "milestone", "template_version_id", *MESSAGE_COLUMNS),
              _message_rows(period, filters, ("channel", "milestone", "template_version_id"))),
    ]
    carriers: Iterable[Mapping[str, Any]] = (ShipmentDay.objects.filter(_in(period), filters.shipments())
                .values("carrier", "service")
                .annotate(**{name: Sum(name) for name in SHIPMENT_SUMS})
                .order_by("carrier", "service"))
    tables.append(Table(
        "delivery_by_carrier", "Delivery per carrier and service",
        ("carrier", "service", "shipped", "delivered", "on_time_rate",
         "on_time_rate_first_estimate", "exceptions", "delayed", "stalled"),
        [(row["carrier"], row["service"], row["shipped"], row["delivered"],
          ratio(row["on_time_promise"], row["with_promise"]),
          ratio(row["on_time_estimate"], row["with_estimate"]), row["exceptions"],
          row["delayed"], row["stalled"]) for row in carriers]))
    histograms: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for carrier, days, count in (TransitDay.objects.filter(_in(period), filters.shipments())
                                 .values_list("carrier", "transit_days")
                                 .annotate(n=Sum("shipments")).order_by("carrier", "transit_days")):
        histograms[carrier].append((days, count))
    tables.append(Table(
        "transit_by_carrier", "Transit days per carrier",
        ("carrier", "delivered", "transit_days_median", "transit_days_p90"),
        [(carrier, sum(n for _, n in histogram), percentile(histogram, 0.5),
          percentile(histogram, 0.9)) for carrier, histogram in sorted(histograms.items())]))
    tables.append(Table(
        "exceptions_by_cause", "Exceptions by who caused them",
        ("carrier", "cause", "shipments"),
        list(ExceptionDay.objects.filter(_in(period), filters.shipments())
             .values_list("carrier", "cause").annotate(n=Sum("shipments"))
             .order_by("carrier", "cause"))))
    stars = dict(RatingDay.objects.filter(_in(period)).values_list("rating")
                 .annotate(n=Sum("ratings")).order_by("rating"))
    total = sum(stars.values())
    tables.append(Table(
        "ratings", "Delivery ratings", ("stars", "ratings", "share"),
        [(n, stars.get(n, 0), ratio(stars.get(n, 0), total)) for n in range(5, 0, -1)]))
    tables.extend(_returns_tables(period))
    tables.append(holdout_table(holdout_results(period)))
    tables.append(_placements_table(period))
    return tables


TOP_PRODUCTS = 20


def _placements_table(period: Period) -> Table:
    seen = {(r["surface"], r["milestone"]): r for r in RecommendationDay.objects
            .filter(_in(period)).values("surface", "milestone")
            .annotate(shown=Sum("shown"), clicks=Sum("clicks")).order_by()}
    earned = {(r["surface"], r["milestone"], r["currency"]): r for r in AttributionDay.objects
              .filter(_in(period)).values("surface", "milestone", "currency")
              .annotate(orders=Sum("orders"), revenue=Sum("revenue"),
                        recommended=Sum("recommended_revenue")).order_by()}
    keys = sorted({(*key, "") for key in seen if not any(e[:2] == key for e in earned)}
                  | set(earned))
    rows = []
    for surface, milestone, currency in keys:
        shown = seen.get((surface, milestone), {"shown": 0, "clicks": 0})
        money = earned.get((surface, milestone, currency),
                           {"orders": 0, "revenue": 0, "recommended": 0})
        rows.append((surface, milestone, shown["shown"], shown["clicks"],
                     ratio(shown["clicks"], shown["shown"]), currency, money["orders"],
                     money["revenue"], money["recommended"]))
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
    sums: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for rule_id, group, shoppers, repeats in (
            HoldoutDay.objects.filter(_in(period)).values("rule_id", "cohort")
            .annotate(shoppers=Sum("shoppers"), repeats=Sum("repeat_30"))
            .values_list("rule_id", "cohort", "shoppers", "repeats").order_by("rule_id")):
        sums[rule_id][group] = (shoppers, repeats)
    names = dict(JourneyRule.objects.filter(pk__in=list(sums)).values_list("pk", "name"))
    return [HoldoutResult(rule_id, names.get(rule_id, f"Rule {rule_id} (deleted)"), Comparison(
        *groups.get("treated", (0, 0)), *groups.get("holdout", (0, 0))))
        for rule_id, groups in sums.items()]


def holdout_table(results: list[HoldoutResult]) -> Table:
    return Table("holdout", "Holdout: repeat purchases within 30 days, sent vs held out",
                 ("rule", "sent", "sent_rate", "held_out", "held_out_rate", "difference",
                  "interval_low", "interval_high", "significant"),
                 [(r.rule_name, r.comparison.treated, r.comparison.treated_rate,
                   r.comparison.holdout, r.comparison.holdout_rate, r.comparison.difference,
                   *(r.comparison.interval or (None, None)), r.comparison.significant)
                  for r in results])


def _returns_tables(period: Period) -> list[Table]:
    reasons = (ReturnDay.objects.filter(_in(period)).values("reason")
               .annotate(lines=Sum("lines"), units=Sum("units"), value=Sum("value"))
               .order_by("-units", "reason"))
    sold = dict(SalesDay.objects.filter(_in(period)).values_list("category")
                .annotate(n=Sum("units")).order_by("category"))
    returned = dict(ReturnDay.objects.filter(_in(period)).values_list("category")
                    .annotate(n=Sum("units")).order_by("category"))
    by_product = list(ReturnDay.objects.filter(_in(period)).values("product_id")
                      .annotate(units=Sum("units")).order_by("-units", "product_id")
                      [:TOP_PRODUCTS])
    ids = [row["product_id"] for row in by_product]
    product_sold = dict(SalesDay.objects.filter(_in(period), product_id__in=ids)
                        .values_list("product_id").annotate(n=Sum("units"))
                        .order_by("product_id"))
    titles = dict(Product.objects.filter(pk__in=ids).values_list("pk", "title"))
    return [
        Table("returns_by_reason", "Returns by reason", ("reason", "lines", "units", "value"),
              [(r["reason"], r["lines"], r["units"], r["value"]) for r in reasons]),
        Table("returns_by_category", "Returns per category",
              ("category", "units_sold", "units_returned", "return_rate"),
              [(category, sold.get(category, 0), returned.get(category, 0),
                ratio(returned.get(category, 0), sold.get(category, 0)))
               for category in sorted(set(sold) | set(returned))]),
        Table("returns_by_product", f"Most returned products (top {TOP_PRODUCTS})",
              ("product_id", "title", "units_sold", "units_returned", "return_rate"),
              [(row["product_id"], titles.get(row["product_id"], ""),
                product_sold.get(row["product_id"], 0), row["units"],
                ratio(row["units"], product_sold.get(row["product_id"], 0)))
               for row in by_product]),
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
    """The figures the charts draw, day by day."""
    days = [period.first + timedelta(days=n) for n in range(period.days)]
    email = {row["day"]: row for row in MessageDay.objects
             .filter(_in(period), filters.messages(), channel="email").values("day")
             .annotate(sent=Sum("sent"), delivered=Sum("delivered"), opened=Sum("opened"),
                       clicked=Sum("clicked")).order_by("day")}
    ships = {row["day"]: row for row in ShipmentDay.objects
             .filter(_in(period), filters.shipments()).values("day")
             .annotate(delivered=Sum("delivered"), with_promise=Sum("with_promise"),
                       on_time=Sum("on_time_promise")).order_by("day")}

    def of(table: dict, day: date, name: str) -> int:
        row = table.get(day)
        return row[name] if row else 0

    def rate(table: dict, day: date, part: str, whole: str) -> float | None:
        row = table.get(day)
        return ratio(row[part], row[whole]) if row else None

    return [
        Series("emails_sent", "E-mails sent", "count", days,
               [of(email, d, "sent") for d in days]),
        Series("open_rate", "Open rate", "rate", days,
               [rate(email, d, "opened", "delivered") for d in days]),
        Series("shipments_delivered", "Shipments delivered", "count", days,
               [of(ships, d, "delivered") for d in days]),
        Series("on_time_rate", "On time (promised date)", "rate", days,
               [rate(ships, d, "on_time", "with_promise") for d in days]),
    ]


def journeys_in_rollups() -> list[int]:
    """The journeys messages of the store were sent for (the journey filter's choices)."""
    return list(MessageDay.objects.exclude(journey_id=0).values_list("journey_id", flat=True)
                .distinct().order_by("journey_id"))


def carriers_in_rollups() -> list[str]:
    return list(ShipmentDay.objects.values_list("carrier", flat=True).distinct().order_by("carrier"))


def locales_in_rollups() -> list[str]:
    return list(MessageDay.objects.exclude(locale="").values_list("locale", flat=True)
                .distinct().order_by("locale"))


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
