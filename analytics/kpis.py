"""Every KPI the dashboard, the API and the exports show, defined once: a name (the API's
key), words, and a formula over sums of rollup rows (docs/analytics.md says each in words).

    Totals              the sums of one period that every formula reads (analytics/figures.py
                        reads them from the rollup tables, both periods in one statement)
    KPIS, kpis_from     → {name: value}; a rate whose denominator is 0 is None ("no data"),
                        never 0 %
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q

from .rollups.sources import REPEAT_WINDOWS

MESSAGE_SUMS = ("sent", "delivered", "bounced", "failed", "opened", "machine_opened", "clicked",
                "unsubscribed", "spam_reports")
SHIPMENT_SUMS = ("shipped", "delivered", "with_promise", "on_time_promise", "with_estimate",
                 "on_time_estimate", "exceptions", "delayed", "stalled")


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))


@dataclass(frozen=True)
class Filters:
    channel: str = ""  # messaging figures only
    journey: int | None = None  # messaging figures only
    locale: str = ""  # messaging figures only
    carrier: str = ""  # delivery figures only

    def messages(self) -> Q:
        q = Q()
        if self.channel:
            q &= Q(channel=self.channel)
        if self.journey is not None:
            q &= Q(journey_id=self.journey)
        if self.locale:
            q &= Q(locale=self.locale)
        return q

    def shipments(self) -> Q:
        return Q(carrier=self.carrier) if self.carrier else Q()


@dataclass
class Totals:
    """The sums of one period's rollup rows that every formula reads."""

    email: dict[str, int]
    sms: dict[str, int]
    shipments: dict[str, int]
    transit: list[tuple[int, int]]  # (days in transit, shipments), ascending
    exceptions: dict[str, int]  # cause → shipments
    views: int
    ratings: dict[int, int]  # stars → ratings
    repeat: dict[str, int]  # delivered_30, repeat_30, … over complete windows only
    units_sold: int = 0
    units_returned: int = 0
    refunds: list[tuple[int, int]] = field(default_factory=list)  # (days, returns) ascending
    # shown, clicks, orders (counts), revenue, recommended_revenue (Decimal, as stored)
    recommendations: dict[str, Any] = field(
        default_factory=lambda: dict.fromkeys(
            ("shown", "clicks", "orders", "revenue", "recommended_revenue"), 0))


def ratio(part: int | float, whole: int | float) -> float | None:
    """part / whole, or None (no data) when there is nothing to divide by."""
    return None if not whole else part / whole


def _repeat_rate(window: int) -> Callable[[Totals], float | None]:
    """The repeat purchase rate of one window (a function per window: no late binding)."""
    return lambda t: ratio(t.repeat[f"repeat_{window}"], t.repeat[f"delivered_{window}"])


def percentile(histogram: list[tuple[int, int]], share: float) -> int | None:
    """The nearest-rank percentile of a histogram of whole numbers: the smallest value that at
    least `share` of the counted items do not exceed."""
    total = sum(count for _, count in histogram)
    if not total:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    return histogram[-1][0]


@dataclass(frozen=True)
class Kpi:
    name: str  # the API's key, stable
    label: str
    section: str  # messaging, delivery, shopper, revenue
    unit: str  # count, rate (0–1), days, stars, views
    formula: str  # in words; docs/analytics.md repeats it
    value: Callable[[Totals], float | int | None]
    filters: tuple[str, ...] = ()  # the dashboard's filters that narrow it


MSG = ("channel", "journey", "locale")
SHIP = ("carrier",)

KPIS: tuple[Kpi, ...] = (
    Kpi("emails_sent", "E-mails sent", "messaging", "count",
        "e-mails handed to the provider on days of the period", lambda t: t.email["sent"], MSG),
    Kpi("emails_delivered", "E-mails delivered", "messaging", "count",
        "of those, delivered (a bounce after the delivery leaves it delivered)",
        lambda t: t.email["delivered"], MSG),
    Kpi("emails_bounced", "E-mails bounced", "messaging", "count",
        "of those, bounced and never delivered", lambda t: t.email["bounced"], MSG),
    Kpi("unique_opens", "Unique opens", "messaging", "count",
        "of those, opened by a person at least once (a click counts as an open)",
        lambda t: t.email["opened"], MSG),
    Kpi("machine_opens", "Machine opens", "messaging", "count",
        "of those, opened only by a machine (Apple Mail Privacy Protection), not in the open rate",
        lambda t: t.email["machine_opened"], MSG),
    Kpi("unique_clicks", "Unique clicks", "messaging", "count",
        "of those, with at least one click", lambda t: t.email["clicked"], MSG),
    Kpi("open_rate", "Open rate", "messaging", "rate", "unique_opens / emails_delivered",
        lambda t: ratio(t.email["opened"], t.email["delivered"]), MSG),
    Kpi("click_rate", "Click rate", "messaging", "rate", "unique_clicks / emails_delivered",
        lambda t: ratio(t.email["clicked"], t.email["delivered"]), MSG),
    Kpi("click_to_open_rate", "Click-to-open rate", "messaging", "rate",
        "unique_clicks / unique_opens", lambda t: ratio(t.email["clicked"], t.email["opened"]), MSG),
    Kpi("unsubscribes", "Unsubscribes", "messaging", "count",
        "messages of the period whose recipient unsubscribed from them",
        lambda t: t.email["unsubscribed"] + t.sms["unsubscribed"], MSG),
    Kpi("spam_reports", "Spam reports", "messaging", "count",
        "e-mails of the period reported as spam", lambda t: t.email["spam_reports"], MSG),
    Kpi("sms_sent", "SMS sent", "messaging", "count", "text messages handed to the provider",
        lambda t: t.sms["sent"], MSG),
    Kpi("sms_delivered", "SMS delivered", "messaging", "count", "of those, delivered",
        lambda t: t.sms["delivered"], MSG),
    Kpi("sms_failed", "SMS failed", "messaging", "count", "of those, failed or undelivered",
        lambda t: t.sms["failed"], MSG),
    Kpi("sms_delivery_rate", "SMS delivery rate", "messaging", "rate", "sms_delivered / sms_sent",
        lambda t: ratio(t.sms["delivered"], t.sms["sent"]), MSG),
    Kpi("shipments_shipped", "Shipments shipped", "delivery", "count",
        "shipments whose first carrier movement was in the period",
        lambda t: t.shipments["shipped"], SHIP),
    Kpi("shipments_delivered", "Shipments delivered", "delivery", "count",
        "shipments delivered in the period", lambda t: t.shipments["delivered"], SHIP),
    Kpi("on_time_rate", "On time (promised date)", "delivery", "rate",
        "delivered on or before the promised date / delivered with a promised date",
        lambda t: ratio(t.shipments["on_time_promise"], t.shipments["with_promise"]), SHIP),
    Kpi("on_time_rate_first_estimate", "On time (carrier's first estimate)", "delivery", "rate",
        "delivered on or before the carrier's first estimate / delivered with an estimate",
        lambda t: ratio(t.shipments["on_time_estimate"], t.shipments["with_estimate"]), SHIP),
    Kpi("transit_days_median", "Transit days (median)", "delivery", "days",
        "median of whole local days from shipped to delivered, nearest rank",
        lambda t: percentile(t.transit, 0.5), SHIP),
    Kpi("transit_days_p90", "Transit days (90th percentile)", "delivery", "days",
        "90th percentile of the same, nearest rank", lambda t: percentile(t.transit, 0.9), SHIP),
    Kpi("exceptions", "Exceptions", "delivery", "count",
        "shipments that reached the exception milestone in the period",
        lambda t: t.shipments["exceptions"], SHIP),
    Kpi("delayed_shipments", "Delayed", "delivery", "count",
        "shipments marked delayed in the period (promised or estimated date passed)",
        lambda t: t.shipments["delayed"], SHIP),
    Kpi("stalled_shipments", "Stalled", "delivery", "count",
        "shipments marked stalled in the period (no scan for longer than usual)",
        lambda t: t.shipments["stalled"], SHIP),
    Kpi("tracking_page_views", "Tracking page views", "shopper", "views",
        "views of tracking pages in the period (UTC days)", lambda t: t.views),
    Kpi("page_views_per_order", "Page views per shipped order", "shopper", "views",
        "tracking_page_views / shipments_shipped (WISMO: how often shoppers come to look)",
        lambda t: ratio(t.views, t.shipments["shipped"])),
    Kpi("delivery_ratings", "Delivery ratings", "shopper", "count",
        "ratings given in the period", lambda t: sum(t.ratings.values())),
    Kpi("csat_average", "Delivery rating (average)", "shopper", "stars",
        "sum of stars / delivery_ratings",
        lambda t: ratio(sum(s * n for s, n in t.ratings.items()), sum(t.ratings.values()))),
    Kpi("csat_score", "CSAT (4 or 5 stars)", "shopper", "rate",
        "ratings of 4 or 5 stars / delivery_ratings",
        lambda t: ratio(t.ratings.get(4, 0) + t.ratings.get(5, 0), sum(t.ratings.values()))),
    Kpi("returned_items", "Items returned", "shopper", "count",
        "units on return requests made in the period (rejected and cancelled ones not counted)",
        lambda t: t.units_returned),
    Kpi("return_rate", "Return rate", "shopper", "rate",
        "returned_items / units sold in the period", lambda t: ratio(t.units_returned, t.units_sold)),
    Kpi("refund_time_median_days", "Refund time (median)", "shopper", "days",
        "median of whole local days from the return's receipt (else its request) to the refund, "
        "credit or exchange, over returns settled in the period, nearest rank",
        lambda t: percentile(t.refunds, 0.5)),
    Kpi("refund_time_p90_days", "Refund time (90th percentile)", "shopper", "days",
        "90th percentile of the same, nearest rank", lambda t: percentile(t.refunds, 0.9)),
    *(Kpi(f"repeat_purchase_rate_{w}d", f"Repeat purchase within {w} days", "revenue", "rate",
          f"shoppers with another order within {w} days of a delivery / delivered orders of "
          f"known shoppers, over deliveries at least {w} days ago",
          _repeat_rate(w))
      for w in REPEAT_WINDOWS),
    Kpi("recommendation_clicks", "Recommendation clicks", "revenue", "count",
        "clicks on recommended products in the period", lambda t: t.recommendations["clicks"]),
    Kpi("recommendation_click_rate", "Recommendation click rate", "revenue", "rate",
        "recommendation_clicks / recommended products shown in the period",
        lambda t: ratio(t.recommendations["clicks"], t.recommendations["shown"])),
    Kpi("recommendation_attributed_orders", "Orders from recommendations", "revenue", "count",
        "orders placed in the period by a shopper who clicked a recommended product within the "
        "store's attribution window before (7 days unless set); the latest click's placement "
        "is credited (recommendations.selectors.attributed_orders)",
        lambda t: t.recommendations["orders"]),
    Kpi("recommendation_attributed_revenue", "Revenue from recommendations", "revenue", "money",
        "the totals of those orders, as recorded in their currency",
        lambda t: t.recommendations["revenue"]),
    Kpi("recommended_products_revenue", "Recommended products sold", "revenue", "money",
        "of that, the lines of the products the shopper clicked (unit price × quantity)",
        lambda t: t.recommendations["recommended_revenue"]),
)
KPI_BY_NAME = {kpi.name: kpi for kpi in KPIS}


def kpis_from(totals: Totals) -> dict[str, float | int | None]:
    return {kpi.name: kpi.value(totals) for kpi in KPIS}

