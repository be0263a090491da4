"""Each rollup table and the one SELECT that computes its rows from raw rows for a set of days
of one tenant. The same SELECT fills the table (rollups/maintain.py) and checks it
(rollups/reconcile.py), so the definition of every count lives here once.

Every statement takes the same named parameters: `tenant` (id), `tz` (the tenant's IANA time
zone), `days` (the local dates to compute) and `lo`/`hi` (those days' bounds as instants, so
the range condition can use an index that starts with the tenant). Every table read is
filtered by `tenant_id = %(tenant)s`, joined rows too. The SQL is put together from this
module's constants only (hence the `noqa: S608`); every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import models

from recommendations.selectors import attributed_orders
from tracking.models import ShipmentMilestone

from ..models import (
    AttributionDay,
    ExceptionDay,
    HoldoutDay,
    MessageDay,
    PageViewDay,
    RatingDay,
    RecommendationDay,
    RefundDay,
    RepeatDay,
    ReturnDay,
    SalesDay,
    ShipmentDay,
    TransitDay,
)

# A local day of an instant in the tenant's time zone.
DAY = "({col} AT TIME ZONE %(tz)s)::date"


def _in_days(col: str) -> str:
    return (f"{col} >= %(lo)s AND {col} < %(hi)s "
            f"AND {DAY.format(col=col)} = ANY(%(days)s::date[])")


@dataclass(frozen=True)
class Rollup:
    model: type[models.Model]
    keys: tuple[str, ...]  # after tenant and day
    values: tuple[str, ...]
    select: str  # columns: day, *keys, *values
    # Instead of `select`, where another app owns the definition: rows (day, *keys, *values)
    # for (tenant, days, first instant, end instant).
    rows: Callable[..., list[tuple]] | None = None

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def name(self) -> str:
        return self.model.__name__


MESSAGES = Rollup(MessageDay, (
    "channel", "milestone", "journey_id", "rule_id", "template_version_id", "locale"), (
    "sent", "delivered", "bounced", "failed", "opened", "machine_opened", "clicked",
    "unsubscribed", "spam_reports"), f"""
    SELECT {DAY.format(col="m.sent_at")}, m.channel, m.milestone, COALESCE(r.journey_id, 0),
           COALESCE(m.rule_id, 0), COALESCE(m.template_version_id, 0), m.locale,
           count(*),
           count(*) FILTER (WHERE m.delivered_at IS NOT NULL),
           -- A bounce after the delivery is stored but leaves the message delivered
           -- (messaging/webhooks/effects.py): the status says which one counts.
           count(*) FILTER (WHERE m.status = 'bounced'),
           count(*) FILTER (WHERE m.status = 'failed'),
           count(*) FILTER (WHERE m.opened_at IS NOT NULL OR m.clicked_at IS NOT NULL),
           -- Opened only by a machine (Apple Mail Privacy Protection): such opens never set
           -- opened_at, so they are told apart by the event's flag.
           count(*) FILTER (WHERE m.opened_at IS NULL AND m.clicked_at IS NULL
                            AND e.machine_open),
           count(*) FILTER (WHERE m.clicked_at IS NOT NULL),
           count(*) FILTER (WHERE e.unsubscribed),
           count(*) FILTER (WHERE e.spam)
    FROM messaging_message m
    LEFT JOIN messaging_journeyrule r ON r.id = m.rule_id AND r.tenant_id = %(tenant)s
    LEFT JOIN LATERAL (
        SELECT bool_or(ev.kind = 'open' AND ev.data -> 'sg_machine_open' IN ('true', '"true"'))
                   AS machine_open,
               bool_or(ev.kind IN ('unsubscribe', 'group_unsubscribe')) AS unsubscribed,
               bool_or(ev.kind = 'spamreport') AS spam
        FROM messaging_messageevent ev
        WHERE ev.tenant_id = %(tenant)s AND ev.message_id = m.id
    ) e ON true
    WHERE m.tenant_id = %(tenant)s AND {_in_days("m.sent_at")}
    GROUP BY 1, 2, 3, 4, 5, 6, 7""")  # noqa: S608

# The milestones delivery performance counts, each on its own day: deliveries only (a return
# parcel's milestones are of their own kind, ShipmentMilestone.RETURN_KIND).
_MILESTONES = f"""
    SELECT sm.shipment_id, sm.milestone, sm.occurred_at, {DAY.format(col="sm.occurred_at")} AS day
    FROM tracking_shipmentmilestone sm
    WHERE sm.tenant_id = %(tenant)s AND sm.milestone = ANY(%(milestones)s::text[])
      AND sm.kind = '{ShipmentMilestone.KIND}' AND {_in_days("sm.occurred_at")}"""  # noqa: S608

SHIPMENTS = Rollup(ShipmentDay, ("carrier", "service"), (
    "shipped", "delivered", "with_promise", "on_time_promise", "with_estimate",
    "on_time_estimate", "exceptions", "delayed", "stalled"), f"""
    SELECT ms.day, s.carrier, s.service,
           count(*) FILTER (WHERE ms.milestone = 'shipped'),
           count(*) FILTER (WHERE ms.milestone = 'delivered'),
           count(*) FILTER (WHERE ms.milestone = 'delivered' AND s.promised_delivery IS NOT NULL),
           count(*) FILTER (WHERE ms.milestone = 'delivered' AND ms.day <= s.promised_delivery),
           count(*) FILTER (WHERE ms.milestone = 'delivered' AND fe.estimate IS NOT NULL),
           count(*) FILTER (WHERE ms.milestone = 'delivered' AND ms.day <= fe.estimate),
           count(*) FILTER (WHERE ms.milestone = 'exception'),
           count(*) FILTER (WHERE ms.milestone = 'delayed'),
           count(*) FILTER (WHERE ms.milestone = 'stalled')
    FROM ({_MILESTONES}) ms
    JOIN tracking_shipment s ON s.id = ms.shipment_id AND s.tenant_id = %(tenant)s
    -- The carrier's first estimate: the earliest scan that carried one.
    LEFT JOIN LATERAL (
        SELECT te.estimated_delivery AS estimate FROM tracking_trackingevent te
        WHERE ms.milestone = 'delivered' AND te.tenant_id = %(tenant)s
          AND te.shipment_id = s.id AND te.estimated_delivery IS NOT NULL
        ORDER BY te.occurred_at, te.id LIMIT 1
    ) fe ON true
    GROUP BY 1, 2, 3""")  # noqa: S608

TRANSIT = Rollup(TransitDay, ("carrier", "transit_days"), ("shipments",), f"""
    SELECT ms.day, s.carrier,
           GREATEST(0, ms.day - {DAY.format(col="s.shipped_at")}), count(*)
    FROM ({_MILESTONES}) ms
    JOIN tracking_shipment s ON s.id = ms.shipment_id AND s.tenant_id = %(tenant)s
    WHERE ms.milestone = 'delivered' AND s.shipped_at IS NOT NULL
    GROUP BY 1, 2, 3""")  # noqa: S608

EXCEPTIONS = Rollup(ExceptionDay, ("carrier", "cause"), ("shipments",), f"""
    SELECT ms.day, s.carrier, COALESCE(NULLIF(fx.cause, ''), 'other'), count(*)
    FROM ({_MILESTONES}) ms
    JOIN tracking_shipment s ON s.id = ms.shipment_id AND s.tenant_id = %(tenant)s
    -- Who caused it: the first exception scan says (a stored event never changes).
    LEFT JOIN LATERAL (
        SELECT te.exception_cause AS cause FROM tracking_trackingevent te
        WHERE te.tenant_id = %(tenant)s AND te.shipment_id = s.id AND te.status = 'exception'
        ORDER BY te.occurred_at, te.id LIMIT 1
    ) fx ON true
    WHERE ms.milestone = 'exception'
    GROUP BY 1, 2, 3""")  # noqa: S608

# Page views are counted per UTC day by tracking (ShipmentPageViewDay), so `days` are UTC days.
PAGE_VIEWS = Rollup(PageViewDay, ("source",), ("views", "shipments"), """
    SELECT v.day, v.source, sum(v.views), count(*)
    FROM tracking_shipmentpageviewday v
    WHERE v.tenant_id = %(tenant)s AND v.day = ANY(%(days)s::date[]) AND v.views > 0
    GROUP BY 1, 2""")

RATINGS = Rollup(RatingDay, ("rating",), ("ratings",), f"""
    SELECT {DAY.format(col="f.created_at")}, f.rating, count(*)
    FROM tracking_deliveryfeedback f
    WHERE f.tenant_id = %(tenant)s AND {_in_days("f.created_at")}
    GROUP BY 1, 2""")  # noqa: S608

REPEAT_WINDOWS = (30, 60, 90)

# An order counts on the day its first shipment was delivered; its shopper "repeats" when they
# place another order within N days after that moment.
REPEATS = Rollup(RepeatDay, (), ("delivered_orders", "repeat_30", "repeat_60", "repeat_90"), f"""
    WITH candidates AS (
        SELECT DISTINCT s.order_id FROM tracking_shipmentmilestone sm
        JOIN tracking_shipment s ON s.id = sm.shipment_id AND s.tenant_id = %(tenant)s
        WHERE sm.tenant_id = %(tenant)s AND sm.milestone = 'delivered'
          AND {_in_days("sm.occurred_at")} AND s.order_id IS NOT NULL
    ), delivered AS (
        SELECT o.id, o.customer_id, min(sm.occurred_at) AS at
        FROM candidates c
        JOIN orders_order o ON o.id = c.order_id AND o.tenant_id = %(tenant)s
        JOIN tracking_shipment s ON s.order_id = o.id AND s.tenant_id = %(tenant)s
        JOIN tracking_shipmentmilestone sm ON sm.shipment_id = s.id
             AND sm.tenant_id = %(tenant)s AND sm.milestone = 'delivered'
        WHERE o.customer_id IS NOT NULL
        GROUP BY o.id, o.customer_id
    )
    SELECT {DAY.format(col="d.at")}, count(*),
           count(*) FILTER (WHERE n.at <= d.at + interval '30 days'),
           count(*) FILTER (WHERE n.at <= d.at + interval '60 days'),
           count(*) FILTER (WHERE n.at <= d.at + interval '90 days')
    FROM delivered d
    LEFT JOIN LATERAL (
        SELECT min(o2.placed_at) AS at FROM orders_order o2
        WHERE o2.tenant_id = %(tenant)s AND o2.customer_id = d.customer_id
          AND o2.id <> d.id AND o2.placed_at > d.at
    ) n ON true
    WHERE {DAY.format(col="d.at")} = ANY(%(days)s::date[])
    GROUP BY 1""")  # noqa: S608

SALES = Rollup(SalesDay, ("product_id", "category"), ("units", "lines"), f"""
    SELECT {DAY.format(col="o.placed_at")}, COALESCE(li.product_id, 0), COALESCE(p.category, ''),
           sum(li.quantity), count(*)
    FROM orders_order o
    JOIN orders_lineitem li ON li.order_id = o.id AND li.tenant_id = %(tenant)s
    LEFT JOIN orders_product p ON p.id = li.product_id AND p.tenant_id = %(tenant)s
    WHERE o.tenant_id = %(tenant)s AND {_in_days("o.placed_at")}
    GROUP BY 1, 2, 3""")  # noqa: S608

# Requests that still hold their lines: a rejected or cancelled one returns nothing.
RETURNS = Rollup(ReturnDay, ("reason", "product_id", "category"), ("lines", "units", "value"), f"""
    SELECT {DAY.format(col="rr.created_at")}, rl.reason, COALESCE(li.product_id, 0),
           COALESCE(p.category, ''), count(*), sum(rl.quantity), sum(rl.quantity * rl.unit_price)
    FROM returns_returnrequest rr
    JOIN returns_returnline rl ON rl.request_id = rr.id AND rl.tenant_id = %(tenant)s
    JOIN orders_lineitem li ON li.id = rl.line_item_id AND li.tenant_id = %(tenant)s
    LEFT JOIN orders_product p ON p.id = li.product_id AND p.tenant_id = %(tenant)s
    WHERE rr.tenant_id = %(tenant)s AND rr.status NOT IN ('rejected', 'cancelled')
      AND {_in_days("rr.created_at")}
    GROUP BY 1, 2, 3, 4""")  # noqa: S608

# Refund time: whole local days from the parcel's receipt (else the request) to settlement.
REFUNDS = Rollup(RefundDay, ("resolution", "refund_days"), ("returns",), f"""
    SELECT {DAY.format(col="rr.settled_at")}, rr.resolution,
           GREATEST(0, {DAY.format(col="rr.settled_at")}
                       - {DAY.format(col="COALESCE(rr.received_at, rr.created_at)")}),
           count(*)
    FROM returns_returnrequest rr
    WHERE rr.tenant_id = %(tenant)s AND rr.settled_at IS NOT NULL
      AND {_in_days("rr.settled_at")}
    GROUP BY 1, 2, 3""")  # noqa: S608

RECOMMENDATIONS = Rollup(RecommendationDay, ("surface", "milestone"), ("shown", "clicks"), f"""
    SELECT day, surface, milestone, sum(shown), sum(clicks)
    FROM (
        SELECT {DAY.format(col="s.shown_at")} AS day, s.surface, s.milestone, count(*) AS shown,
               0 AS clicks
        FROM recommendations_recommendationshown s
        WHERE s.tenant_id = %(tenant)s AND {_in_days("s.shown_at")}
        GROUP BY 1, 2, 3
        UNION ALL
        SELECT {DAY.format(col="c.clicked_at")}, c.surface, c.milestone, 0, count(*)
        FROM recommendations_recommendationclick c
        WHERE c.tenant_id = %(tenant)s AND {_in_days("c.clicked_at")}
        GROUP BY 1, 2, 3
    ) u
    GROUP BY 1, 2, 3""")  # noqa: S608


def _attributed_rows(tenant, days: list[date], lo: datetime, hi: datetime) -> list[tuple]:
    """Attributed orders as recommendations defines them (one definition, its own SQL),
    summed per local day, placement and currency."""
    zone = ZoneInfo(tenant.timezone)
    wanted = set(days)
    sums: dict[tuple, list] = {}
    for order in attributed_orders(tenant, lo, hi):
        day = order.placed_at.astimezone(zone).date()
        if day in wanted:
            figures = sums.setdefault((day, order.surface, order.milestone, order.currency),
                                      [0, Decimal(0), Decimal(0)])
            figures[0] += 1
            figures[1] += order.total
            figures[2] += order.recommended_revenue
    return [(*key, *figures) for key, figures in sorted(sums.items())]


ATTRIBUTION = Rollup(AttributionDay, ("surface", "milestone", "currency"),
                     ("orders", "revenue", "recommended_revenue"), "", rows=_attributed_rows)

# The holdout's two groups: messages of the rule that were sent, and those held out (their
# reason is messaging's HOLDOUT_REASON, passed as a parameter); a shopper "repeats" with
# another order within 30 days after the message was planned.
HOLDOUTS = Rollup(HoldoutDay, ("rule_id", "cohort"), ("shoppers", "repeat_30"), f"""
    SELECT {DAY.format(col="m.created_at")}, m.rule_id,
           CASE WHEN m.sent_at IS NULL THEN 'holdout' ELSE 'treated' END, count(*),
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM orders_order o
               WHERE o.tenant_id = %(tenant)s AND o.customer_id = m.customer_id
                 AND o.placed_at > m.created_at
                 AND o.placed_at <= m.created_at + interval '30 days'))
    FROM messaging_message m
    JOIN messaging_journeyrule r ON r.id = m.rule_id AND r.tenant_id = %(tenant)s
    WHERE m.tenant_id = %(tenant)s AND r.holdout_percent > 0 AND m.customer_id IS NOT NULL
      AND (m.sent_at IS NOT NULL OR m.status_reason = %(holdout_reason)s)
      AND {_in_days("m.created_at")}
    GROUP BY 1, 2, 3""")  # noqa: S608

ROLLUPS: tuple[Rollup, ...] = (MESSAGES, SHIPMENTS, TRANSIT, EXCEPTIONS, PAGE_VIEWS, RATINGS,
                               REPEATS, SALES, RETURNS, REFUNDS, RECOMMENDATIONS, ATTRIBUTION,
                               HOLDOUTS)
DELIVERY_MILESTONES = ["shipped", "delivered", "exception", "delayed", "stalled"]
