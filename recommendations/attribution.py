"""Attributed revenue: an order placed by a shopper within the store's attribution window
(7 days by default) after they clicked a recommended product is attributed to the placement
of their latest such click (surface and, for messages, milestone). Its whole total is the
order's revenue; the lines of products that shopper clicked in the window are the
recommended revenue, counted apart.

    clicks ─(same customer, order placed within the window after)─▶ attributed orders
        ─▶ per order: placement of the latest click, total, recommended lines' amount
        ─▶ per placement, per product (attribution_summary); per order for the analytics
           rollups (attributed_orders)

Set-based SQL over the clicks of the period (one statement each), in the caller's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from config import db
from tenants.models import Tenant

from .learning import settings_get


@dataclass(frozen=True)
class AttributedOrder:
    order_id: int
    placed_at: datetime
    currency: str
    surface: str
    milestone: str
    product_id: int  # the product of the attributing (latest) click
    total: Decimal
    recommended_revenue: Decimal


def attributed_orders(tenant: Tenant, since: datetime, until: datetime) -> list[AttributedOrder]:
    """Orders placed in [since, until) that recommendations earned, oldest first."""
    rows = db.execute(_ATTRIBUTED, _params(tenant, since, until))
    return [AttributedOrder(*row) for row in rows]


def _params(tenant: Tenant, since: datetime, until: datetime) -> list:
    days = settings_get(tenant).attribution_days
    return [days, tenant.pk, since, until, tenant.pk, tenant.pk, days]


@dataclass(frozen=True)
class PlacementFigures:
    surface: str
    milestone: str
    currency: str
    clicks: int
    orders: int
    revenue: Decimal
    recommended_revenue: Decimal


@dataclass(frozen=True)
class ProductFigures:
    product_id: int
    currency: str
    clicks: int
    orders: int
    recommended_revenue: Decimal


@dataclass(frozen=True)
class AttributionSummary:
    placements: list[PlacementFigures]
    products: list[ProductFigures]


def attribution_summary(tenant: Tenant, since: datetime, until: datetime) -> AttributionSummary:
    """Clicks in the period, and the orders placed in it that they earned, per placement
    (surface and milestone; revenue per currency) and per product."""
    clicks_by_placement: dict[tuple[str, str], int] = {}
    clicks_by_product: dict[int, int] = {}
    for surface, milestone, product_id, count in db.execute(_CLICKS, [tenant.pk, since, until]):
        key = (surface, milestone)
        clicks_by_placement[key] = clicks_by_placement.get(key, 0) + count
        clicks_by_product[product_id] = clicks_by_product.get(product_id, 0) + count
    earned: dict[tuple[str, str, str], list] = {}
    for order in attributed_orders(tenant, since, until):
        figures = earned.setdefault((order.surface, order.milestone, order.currency),
                                    [0, Decimal(0), Decimal(0)])
        figures[0] += 1
        figures[1] += order.total
        figures[2] += order.recommended_revenue
    for key in clicks_by_placement:  # clicked, nothing bought (yet)
        if not any(placement[:2] == key for placement in earned):
            earned[(*key, "")] = [0, Decimal(0), Decimal(0)]
    placements = [PlacementFigures(surface, milestone, currency,
                                   clicks_by_placement.get((surface, milestone), 0), *figures)
                  for (surface, milestone, currency), figures in sorted(earned.items())]
    products = [ProductFigures(product_id, currency, clicks_by_product.get(product_id, 0),
                               orders, amount)
                for product_id, currency, orders, amount in db.execute(
                    _PRODUCTS, _params(tenant, since, until))]
    listed = {row.product_id for row in products}
    products += [ProductFigures(pid, "", count, 0, Decimal(0))
                 for pid, count in sorted(clicks_by_product.items()) if pid not in listed]
    return AttributionSummary(placements, products)


# The latest click of the customer within the window before each order of the period.
_ATTRIBUTING = """
WITH attributed AS (
  SELECT DISTINCT ON (o.id) o.id AS order_id, o.placed_at, o.currency, o.total,
         o.customer_id, c.surface, c.milestone, c.product_id
  FROM orders_order o
  JOIN recommendations_recommendationclick c
    ON c.tenant_id = o.tenant_id AND c.customer_id = o.customer_id
   AND c.clicked_at < o.placed_at
   AND c.clicked_at >= o.placed_at - make_interval(days => %s)
  WHERE o.tenant_id = %s AND o.placed_at >= %s AND o.placed_at < %s
  ORDER BY o.id, c.clicked_at DESC, c.id DESC
), recommended AS (
  SELECT a.order_id, l.product_id, sum(l.quantity * l.unit_price) AS amount
  FROM attributed a
  JOIN orders_lineitem l ON l.order_id = a.order_id AND l.tenant_id = %s
  WHERE EXISTS (SELECT 1 FROM recommendations_recommendationclick c
                WHERE c.tenant_id = %s AND c.customer_id = a.customer_id
                  AND c.product_id = l.product_id AND c.clicked_at < a.placed_at
                  AND c.clicked_at >= a.placed_at - make_interval(days => %s))
  GROUP BY a.order_id, l.product_id
)
"""

_ATTRIBUTED = (_ATTRIBUTING  # noqa: S608 (constant SQL; values are parameters)
              + """
SELECT a.order_id, a.placed_at, a.currency, a.surface, a.milestone, a.product_id, a.total,
       coalesce((SELECT sum(r.amount) FROM recommended r WHERE r.order_id = a.order_id), 0)
FROM attributed a ORDER BY a.placed_at, a.order_id
""")

_PRODUCTS = (_ATTRIBUTING  # noqa: S608 (constant SQL; values are parameters)
              + """
SELECT r.product_id, a.currency, count(*), sum(r.amount)
FROM recommended r JOIN attributed a ON a.order_id = r.order_id
GROUP BY r.product_id, a.currency ORDER BY sum(r.amount) DESC, r.product_id
""")

_CLICKS = """
SELECT surface, milestone, product_id, count(*)
FROM recommendations_recommendationclick
WHERE tenant_id = %s AND clicked_at >= %s AND clicked_at < %s
GROUP BY surface, milestone, product_id
"""
