"""Every figure of the Analytics area for a period and the one before it, read from the rollup
tables in one prepared statement.

    figures_read(tenant, period, filters, today)
        one SELECT: a JSON document, a part per rollup table (and grouping), each an
        aggregate over the tenant's rows of the two periods (index: tenant, day, dimension)
        └─ Figures: Totals of each period (the sums kpis.KPIS's formulas read) and the
           current period's breakdowns and daily figures (selectors.py makes the tables)

Why one statement: the page needs some forty sums over a dozen small tables. Read as forty
ORM queries, each cost more to compile, plan and wait for (a round trip is a turn of the
scheduler on a busy machine) than to run: the page took as long as computing the same
figures from the raw rows over a month. One statement is one round trip; prepared, it is
parsed and planned once per connection (config.db, as its prepared reads are); its plan does
not depend on the values (every part is a range scan of one tenant's days).

The statement is the same whatever the filters: an empty filter is `'' ` / NULL and its
condition is true, so one prepared statement serves every page.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from config import db

from .cache import figures_cached
from .kpis import MESSAGE_SUMS, SHIPMENT_SUMS, Filters, Period, Totals
from .rollups.sources import REPEAT_WINDOWS

TOP_PRODUCTS = 20  # the most returned products' table

_MESSAGE_FILTER = """
    AND (%(channel)s::text = '' OR channel = %(channel)s::text)
    AND (%(journey)s::bigint IS NULL OR journey_id = %(journey)s::bigint)
    AND (%(locale)s::text = '' OR locale = %(locale)s::text)"""
_CARRIER_FILTER = "AND (%(carrier)s::text = '' OR carrier = %(carrier)s::text)"
_BOTH = ("tenant_id = %(tenant)s::bigint AND day >= %(before)s::date "
         "AND day <= %(last)s::date")
_NOW = "day >= %(first)s::date"


def _rows(table: str, condition: str = "") -> str:
    """The table's rows of both periods, each with `now`: whether it is in the period asked
    for (else in the one before)."""
    return f"(SELECT *, {_NOW} AS now FROM {table} WHERE {_BOTH} {condition}) t"  # noqa: S608


def _part(name: str, select: str) -> str:
    """One part of the document: the rows of `select` as a JSON array of arrays."""
    return f"'{name}', (SELECT coalesce(json_agg(q.r), '[]') FROM ({select}) q)"  # noqa: S608


def _sums(names: tuple[str, ...]) -> str:
    return ", ".join(f"sum({name})" for name in names)


# Each part's rows: [grouping level, now?, *keys, *sums]; `grouping(…)` tells the grouping
# sets of one scan apart (0: every key in the group; a bit per key left out).
_PARTS = (
    # Per period, channel, milestone and template version (the totals are their sums); and
    # per channel and day of the period, for the e-mail series: one scan of the store's days,
    # hashed both ways (a year is some ten thousand rows; reading them twice, once per part,
    # cost a year's page 53-59 ms against 42-44 ms in one scan, in process, same data).
    _part("messages", f"""
        SELECT json_build_array(grouping(milestone, template_version_id, day), now, channel,
                                milestone, template_version_id, day, {_sums(MESSAGE_SUMS)}) AS r
        FROM {_rows("analytics_messageday", _MESSAGE_FILTER)}
        GROUP BY GROUPING SETS ((now, channel, milestone, template_version_id),
                                (now, channel, day))
        HAVING grouping(day) = 1 OR (now AND channel = 'email')"""),  # noqa: S608
    _part("shipments", f"""
        SELECT json_build_array(grouping(carrier, service, day), now, carrier, service, day,
                                {_sums(SHIPMENT_SUMS)}) AS r
        FROM {_rows("analytics_shipmentday", _CARRIER_FILTER)}
        GROUP BY GROUPING SETS ((now), (now, carrier, service), (now, day))
        HAVING now OR grouping(carrier, service, day) = 7"""),  # noqa: S608
    _part("transit", f"""
        SELECT json_build_array(grouping(carrier), now, carrier, transit_days,
                                sum(shipments)) AS r
        FROM {_rows("analytics_transitday", _CARRIER_FILTER)}
        GROUP BY GROUPING SETS ((now, transit_days), (now, carrier, transit_days))
        HAVING now OR grouping(carrier) = 1"""),  # noqa: S608
    _part("exceptions", f"""
        SELECT json_build_array(grouping(carrier), now, carrier, cause, sum(shipments)) AS r
        FROM {_rows("analytics_exceptionday", _CARRIER_FILTER)}
        GROUP BY GROUPING SETS ((now, cause), (now, carrier, cause))
        HAVING now OR grouping(carrier) = 1"""),  # noqa: S608
    _part("views", f"""
        SELECT json_build_array(now, sum(views)) AS r
        FROM {_rows("analytics_pageviewday")} GROUP BY now"""),  # noqa: S608
    _part("ratings", f"""
        SELECT json_build_array(now, rating, sum(ratings)) AS r
        FROM {_rows("analytics_ratingday")} GROUP BY now, rating"""),  # noqa: S608
    # A repeat-purchase window counts once it has fully passed: a delivery of last week has
    # not had its 30 days yet, and counting it would understate the rate.
    _part("repeat", f"""
        SELECT json_build_array(now, {", ".join(
            f"sum(delivered_orders) FILTER (WHERE day < %(complete_{w})s::date), "
            f"sum(repeat_{w}) FILTER (WHERE day < %(complete_{w})s::date)"
            for w in REPEAT_WINDOWS)}) AS r
        FROM {_rows("analytics_repeatday")} GROUP BY now"""),  # noqa: S608
    _part("sales", f"""
        SELECT json_build_array(grouping(category), now, category, sum(units)) AS r
        FROM {_rows("analytics_salesday")}
        GROUP BY GROUPING SETS ((now), (now, category))
        HAVING now OR grouping(category) = 1"""),  # noqa: S608
    _part("returns", f"""
        SELECT json_build_array(grouping(reason, category), now, reason, category,
                                sum(lines), sum(units), sum(value)::text) AS r
        FROM {_rows("analytics_returnday")}
        GROUP BY GROUPING SETS ((now), (now, reason), (now, category))
        HAVING now OR grouping(reason, category) = 3"""),  # noqa: S608
    # The most returned products of the period, with their units sold and titles.
    _part("products", f"""
        WITH top AS (
            SELECT product_id, sum(units) AS units FROM analytics_returnday
            WHERE {_BOTH} AND {_NOW}
            GROUP BY product_id ORDER BY 2 DESC, 1 LIMIT {TOP_PRODUCTS})
        SELECT json_build_array(top.product_id, coalesce(p.title, ''), coalesce(s.units, 0),
                                top.units) AS r
        FROM top
        LEFT JOIN orders_product p ON p.id = top.product_id AND p.tenant_id = %(tenant)s::bigint
        LEFT JOIN LATERAL (
            SELECT sum(units) AS units FROM analytics_salesday
            WHERE {_BOTH} AND {_NOW} AND product_id = top.product_id) s ON true"""),  # noqa: S608
    _part("refunds", f"""
        SELECT json_build_array(now, refund_days, sum(returns)) AS r
        FROM {_rows("analytics_refundday")} GROUP BY now, refund_days"""),  # noqa: S608
    _part("shown", f"""
        SELECT json_build_array(grouping(surface, milestone), now, surface, milestone,
                                sum(shown), sum(clicks)) AS r
        FROM {_rows("analytics_recommendationday")}
        GROUP BY GROUPING SETS ((now), (now, surface, milestone))
        HAVING now OR grouping(surface, milestone) = 3"""),  # noqa: S608
    _part("attributed", f"""
        SELECT json_build_array(grouping(surface, milestone, currency), now, surface,
                                milestone, currency, sum(orders), sum(revenue)::text,
                                sum(recommended_revenue)::text) AS r
        FROM {_rows("analytics_attributionday")}
        GROUP BY GROUPING SETS ((now), (now, surface, milestone, currency))
        HAVING now OR grouping(surface, milestone, currency) = 7"""),  # noqa: S608
    # Rules with a holdout, over the current period, with the rule's name (None: deleted).
    _part("holdout", """
        SELECT json_build_array(h.rule_id, r.name, h.cohort, sum(h.shoppers),
                                sum(h.repeat_30)) AS r
        FROM analytics_holdoutday h
        LEFT JOIN messaging_journeyrule r ON r.id = h.rule_id AND r.tenant_id = %(tenant)s::bigint
        WHERE h.tenant_id = %(tenant)s::bigint AND h.day >= %(first)s::date
          AND h.day <= %(last)s::date
        GROUP BY h.rule_id, r.name, h.cohort"""),  # noqa: S608
)
SQL = "SELECT json_build_object(" + ", ".join(_PARTS) + ")::text"


# The filters' choices: every language and carrier of the store's rollups, whatever the period.
CHOICES_SQL = """
    SELECT json_build_array(
        (SELECT coalesce(json_agg(DISTINCT locale ORDER BY locale), '[]')
         FROM analytics_messageday WHERE tenant_id = %(tenant)s::bigint AND locale <> ''),
        (SELECT coalesce(json_agg(DISTINCT carrier ORDER BY carrier), '[]')
         FROM analytics_shipmentday WHERE tenant_id = %(tenant)s::bigint))::text"""


# The documents' shape, in the cache keys: figures stored by an earlier version of these
# statements are never read by a later one (a deploy would find another document there).
SHAPE = hashlib.blake2b((SQL + CHOICES_SQL).encode(), digest_size=6).hexdigest()


@dataclass
class Figures:
    """What one read gives: each period's totals, the current period's details."""

    now: Totals
    before: Totals
    # Rows per part as read (lists of JSON values), for selectors.py's tables and series.
    messages: list[list] = field(default_factory=list)  # channel, milestone, version, sums
    message_days: dict[date, dict[str, int]] = field(default_factory=dict)  # e-mail only
    shipments: list[list] = field(default_factory=list)  # carrier, service, sums
    shipment_days: dict[date, dict[str, int]] = field(default_factory=dict)
    transit: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # per carrier
    exceptions: list[tuple[str, str, int]] = field(default_factory=list)  # carrier, cause, n
    sales_by_category: dict[str, int] = field(default_factory=dict)
    returns_by_category: dict[str, int] = field(default_factory=dict)
    returns_by_reason: list[tuple[str, int, int, Decimal]] = field(default_factory=list)
    products: list[tuple[int, str, int, int]] = field(default_factory=list)
    shown: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    attributed: dict[tuple[str, str, str], tuple[int, Decimal, Decimal]] = field(
        default_factory=dict)
    holdout: dict[int, tuple[str | None, dict[str, tuple[int, int]]]] = field(
        default_factory=dict)


def _empty_totals() -> Totals:
    return Totals(email=dict.fromkeys(MESSAGE_SUMS, 0), sms=dict.fromkeys(MESSAGE_SUMS, 0),
                  shipments=dict.fromkeys(SHIPMENT_SUMS, 0), transit=[], exceptions={},
                  views=0, ratings={}, repeat={f"{kind}_{w}": 0 for kind in ("delivered", "repeat")
                                               for w in REPEAT_WINDOWS})


def figures_read(tenant_id: int, period: Period, filters: Filters, *, today: date,
                 cached: bool = False) -> Figures:
    """Every figure of `period` and of the one before it, for the tenant (the caller's scope:
    row-level security binds the statement to it as well). `cached`: kept in Redis until the
    store's next rollup run (analytics/cache.py)."""
    before = period.previous()
    params: dict[str, Any] = {
        "tenant": tenant_id, "first": period.first, "last": period.last, "before": before.first,
        "channel": filters.channel, "journey": filters.journey, "locale": filters.locale,
        "carrier": filters.carrier,
        **{f"complete_{w}": today - timedelta(days=w) for w in REPEAT_WINDOWS}}

    def read() -> str:
        return _document(SQL, params)

    if cached:
        signature = SHAPE + json.dumps(params, sort_keys=True, default=str)
        return _figures(json.loads(figures_cached(tenant_id, signature, read)))
    return _figures(json.loads(read()))


def filter_choices_read(tenant_id: int) -> tuple[list[str], list[str]]:
    """(languages, carriers) of the tenant's rollups, cached as its figures are."""

    def read() -> str:
        return _document(CHOICES_SQL, {"tenant": tenant_id})

    locales, carriers = json.loads(figures_cached(tenant_id, SHAPE + "filter choices", read))
    return locales, carriers


def _document(sql: str, params: dict[str, Any]) -> str:
    """One of the statements above, prepared and planned once: its generic plan, whatever
    PostgreSQL's own choice. Left to choose (plan_cache_mode `auto`), it found the generic
    plan's estimate worse than the custom plans' and planned the dozen parts again on every
    read (`bench/analytics.py --quick`, same load, alternated: a store's 30 days 10-12 ms
    instead of 18-45, the rollups at 0.05-0.08 of the raw rows' time instead of 0.09-0.24).
    The generic plan is the one wanted: each part is a range scan of the tenant's days on
    the rollup's index, whatever the values. `set_config(…, true)` holds until the end of
    the transaction: the read gets one of its own (or is part of the caller's). Not asked
    for a statement db.execute does not prepare (prepared reads off, queries logged)."""
    prepared = settings.DATABASE_PREPARED_READS and not connection.queries_logged
    with transaction.atomic(savepoint=False):
        if prepared:
            db.execute(_GENERIC_PLAN)
        (document,), = db.execute(sql, params, prepare=prepared)
    return document


_GENERIC_PLAN = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"


def _figures(found: dict[str, list[list]]) -> Figures:
    totals = {True: _empty_totals(), False: _empty_totals()}
    figures = Figures(now=totals[True], before=totals[False])
    transit: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    refunds: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    carriers: dict[str, list[tuple[int, int]]] = defaultdict(list)

    for level, now, channel, milestone, version, day, *sums in found["messages"]:
        if level != 1:  # an e-mail day of the period (milestone and version left out)
            values = dict(zip(MESSAGE_SUMS, sums, strict=True))
            figures.message_days[date.fromisoformat(day)] = {
                name: values[name] for name in ("sent", "delivered", "opened", "clicked")}
            continue
        if channel in ("email", "sms"):
            total = getattr(totals[now], channel)
            for name, value in zip(MESSAGE_SUMS, sums, strict=True):
                total[name] += value
        if now:
            figures.messages.append([channel, milestone, version, *sums])
    for level, now, carrier, service, day, *sums in found["shipments"]:
        values = dict(zip(SHIPMENT_SUMS, sums, strict=True))
        if level == 7:
            totals[now].shipments.update(values)
        elif level == 1:
            figures.shipments.append([carrier, service, *sums])
        else:
            figures.shipment_days[date.fromisoformat(day)] = values
    for level, now, carrier, days, count in found["transit"]:
        if level:
            transit[now].append((days, count))
        else:
            carriers[carrier].append((days, count))
    for level, now, carrier, cause, count in found["exceptions"]:
        if level:
            totals[now].exceptions[cause] = count
        else:
            figures.exceptions.append((carrier, cause, count))
    for now, views in found["views"]:
        totals[now].views = views
    for now, rating, count in found["ratings"]:
        totals[now].ratings[rating] = count
    for now, *pairs in found["repeat"]:
        for index, window in enumerate(REPEAT_WINDOWS):
            totals[now].repeat[f"delivered_{window}"] = pairs[2 * index] or 0
            totals[now].repeat[f"repeat_{window}"] = pairs[2 * index + 1] or 0
    for level, now, category, units in found["sales"]:
        if level:
            totals[now].units_sold = units
        else:
            figures.sales_by_category[category] = units
    for level, now, reason, category, lines, units, value in found["returns"]:
        if level == 3:
            totals[now].units_returned = units
        elif level == 1:  # per reason
            figures.returns_by_reason.append((reason, lines, units, Decimal(value)))
        else:  # per category
            figures.returns_by_category[category] = units
    figures.products = [tuple(row) for row in found["products"]]
    for now, days, count in found["refunds"]:
        refunds[now].append((days, count))
    for level, now, surface, milestone, shown, clicks in found["shown"]:
        if level:
            totals[now].recommendations.update(shown=shown, clicks=clicks)
        else:
            figures.shown[(surface, milestone)] = (shown, clicks)
    for level, now, surface, milestone, currency, orders, revenue, recommended in \
            found["attributed"]:
        money = (orders, Decimal(revenue), Decimal(recommended))
        if level:
            totals[now].recommendations.update(orders=money[0], revenue=money[1],
                                               recommended_revenue=money[2])
        else:
            figures.attributed[(surface, milestone, currency)] = money
    for rule_id, name, cohort, shoppers, repeats in found["holdout"]:
        figures.holdout.setdefault(rule_id, (name, {}))[1][cohort] = (shoppers, repeats)
    for now in (True, False):
        totals[now].transit = sorted(transit[now])
        totals[now].refunds = sorted(refunds[now])
    figures.messages.sort(key=lambda row: tuple(row[:3]))
    figures.shipments.sort(key=lambda row: tuple(row[:2]))
    figures.transit = {carrier: sorted(rows) for carrier, rows in sorted(carriers.items())}
    figures.exceptions.sort()
    figures.returns_by_reason.sort(key=lambda row: (-row[2], row[0]))
    return figures
