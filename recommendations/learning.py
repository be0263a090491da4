"""Learning a store's associations from its own orders, in the database (set-based SQL).

    orders in the window ─▶ lines: one row per (order, product), weighted by the order's age
        │                  (half as much every `half_life_days`)
        ├─▶ items: weighted orders and customers per product ─▶ ProductPopularity
        └─▶ pairs, counted in one sorted pass over both:
              bought in the same order (baskets up to MAX_BASKET products)
              bought by the same customer (their MAX_CUSTOMER_ITEMS latest)
            judged per pair:
              same non-empty category, or the same customers but rarely one order → substitute
              otherwise bought together in at least `min_support` orders       → complement
            ─▶ the `top_k` of each kind per product ─▶ ProductAssociation
            ─▶ complements summed per pair of categories ─▶ CategoryAssociation

A store's rows are replaced whole in one transaction (readers see the old set until it
commits); two recomputes of one store queue on an advisory lock. The work is a handful of
statements whatever the store's size: 500,000 order lines take about 8 s of one core
(bench/recommendations.py).

The complement score is the pair's recency-weighted co-purchases normalised by both products'
own (w_ab / √(w_a·w_b), the cosine of their order vectors): like lift it does not favour a
product for being popular, but it does not let two products bought once together outrank a
pair bought together a hundred times, which lift alone (also stored, shown in the preview)
does. `min_support` orders are required either way.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone

from config import db
from tenants.models import Tenant

from .models import RecommendationSettings

# Baskets larger than this (a wholesaler's restock) add no pairs: their n² pairs would
# outweigh every other order and say little about what goes with what. They still count as
# sales (popularity).
MAX_BASKET = 50
# A customer's latest distinct products that count towards "the same customers bought both".
MAX_CUSTOMER_ITEMS = 30
# Bought by the same customers but together in at most this share of them: substitutes.
SUBSTITUTE_TOGETHER = 0.2


@dataclass(frozen=True)
class RecomputeResult:
    orders: int
    lines: int
    associations: int
    seconds: float


def settings_get(tenant: Tenant) -> RecommendationSettings:
    """The store's settings, or the defaults (unsaved) when it has none yet."""
    found = RecommendationSettings.objects.unscoped(
        reason="one row per tenant, looked up by tenant").filter(tenant=tenant).first()
    return found or RecommendationSettings(tenant=tenant)


@transaction.atomic
def associations_recompute(tenant: Tenant, *, as_of: datetime | None = None) -> RecomputeResult:
    """Relearn the store's associations, best sellers and category complements from its
    orders in the window before `as_of` (now by default)."""
    started = time.perf_counter()
    config = settings_get(tenant)
    now = as_of or timezone.now()
    since = now - timedelta(days=config.window_days)
    t = tenant.pk
    # One recompute per store at a time; the lock is released at commit.
    db.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, t])
    db.execute("SET LOCAL work_mem = '256MB'")
    _temp_buffers()
    # Dropped at commit; dropped first too, for a caller that recomputes twice in one
    # transaction (a test, a backfill).
    db.execute("DROP TABLE IF EXISTS rec_lines, rec_items, rec_custitems, rec_judged")
    for statement in _TEMP_TABLES:
        db.execute(statement)
    db.execute(_LINES, [now, float(config.half_life_days), t, t, since, now])
    db.execute("ANALYZE rec_lines")
    db.execute(_CUSTOMER_ITEMS, [MAX_CUSTOMER_ITEMS])
    db.execute(_ITEMS, [t])
    db.execute("ANALYZE rec_items")
    orders, lines, total_w, customers, ranks = db.execute(_TOTALS)[0]
    # The pairs (millions of them in a big store, most bought together once) are counted by
    # sorting their integer keys: a hash table of every pair takes more time and memory.
    db.execute("SET LOCAL enable_hashagg = off")
    db.execute("SET LOCAL work_mem = '512MB'")
    db.execute(_JUDGED, {"ranks": ranks + 1, "max_basket": MAX_BASKET,
                         "support": config.min_support, "together": SUBSTITUTE_TOGETHER,
                         "customers": customers or 1, "total_w": total_w or 1.0})
    db.execute("SET LOCAL enable_hashagg = on")
    db.execute("SET LOCAL work_mem = '256MB'")
    db.execute("ANALYZE rec_judged")
    for table in _TABLES:
        db.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [t])  # noqa: S608
    associations = db.execute(_ASSOCIATIONS_INSERT, [t, config.top_k])[0][0]
    db.execute(_POPULARITY_INSERT, [t])
    db.execute(_CATEGORIES_INSERT, [t, config.top_k])
    seconds = time.perf_counter() - started
    config.computed_at, config.compute_seconds = timezone.now(), seconds
    config.save()
    return RecomputeResult(orders=orders, lines=lines, associations=associations,
                           seconds=seconds)


def _temp_buffers() -> None:
    """Room for the temporary tables in memory (a store's lines alone are 30 MB for 500,000
    of them; beyond the default 8 MB they go through the disk). PostgreSQL sizes a session's
    buffers once, at its first temporary table: a connection that used one before keeps what
    it had, and a refusal is harmless."""
    try:
        with transaction.atomic():
            db.execute("SET LOCAL temp_buffers = '128MB'")
    except DatabaseError:
        pass


_LOCK_SPACE = zlib.crc32(b"recommendations.recompute") & 0x7FFFFFFF
_TABLES = ("recommendations_productassociation", "recommendations_productpopularity",
           "recommendations_categoryassociation")

_TEMP_TABLES = [
    "CREATE TEMP TABLE rec_lines (order_id bigint, customer_id bigint, product_id bigint, "
    "w float8, n int) ON COMMIT DROP",
    "CREATE TEMP TABLE rec_custitems (customer_id bigint, product_id bigint) ON COMMIT DROP",
    # `r`: the product's rank by id, dense from 1: a pair of them packs into one bigint key.
    "CREATE TEMP TABLE rec_items (product_id bigint PRIMARY KEY, r int, category text, "
    "w float8, orders int, customers int) ON COMMIT DROP",
    # Every pair learned, once (a < b), with its kind (NULL: neither) and, where they were
    # bought together in `min_support` orders, their weight and count (the category pairs').
    "CREATE TEMP TABLE rec_judged (a bigint, b bigint, kind text COLLATE \"C\", score float8, "
    "lift float8, support int, w float8, n int) ON COMMIT DROP",
]

# One row per order and product; `w` the order's recency weight, `n` its basket size.
_LINES = """
INSERT INTO rec_lines (order_id, customer_id, product_id, w, n)
SELECT order_id, customer_id, product_id, w, count(*) OVER (PARTITION BY order_id)
FROM (SELECT DISTINCT l.order_id, o.customer_id, l.product_id,
             power(0.5, extract(epoch FROM (%s::timestamptz - o.placed_at)) / 86400.0 / %s)
                 AS w
      FROM orders_lineitem l JOIN orders_order o ON o.id = l.order_id
      WHERE l.tenant_id = %s AND o.tenant_id = %s AND l.product_id IS NOT NULL
        AND o.placed_at >= %s AND o.placed_at < %s) s
"""

_CUSTOMER_ITEMS = """
INSERT INTO rec_custitems (customer_id, product_id)
SELECT customer_id, product_id
FROM (SELECT customer_id, product_id,
             row_number() OVER (PARTITION BY customer_id ORDER BY max(w) DESC, product_id) AS r
      FROM rec_lines WHERE customer_id IS NOT NULL
      GROUP BY customer_id, product_id) s
WHERE r <= %s
"""

_ITEMS = """
INSERT INTO rec_items (product_id, r, category, w, orders, customers)
SELECT l.product_id, row_number() OVER (ORDER BY l.product_id), min(p.category), sum(l.w),
       count(*), coalesce(min(ci.c), 0)
FROM rec_lines l JOIN orders_product p ON p.id = l.product_id AND p.tenant_id = %s
LEFT JOIN (SELECT product_id, count(*) AS c FROM rec_custitems GROUP BY product_id) ci
       ON ci.product_id = l.product_id
GROUP BY l.product_id
"""

_TOTALS = """
SELECT count(*), coalesce(sum(n), 0), coalesce(sum(w), 0),
       (SELECT count(DISTINCT customer_id) FROM rec_custitems),
       (SELECT count(*) FROM rec_items)
FROM (SELECT order_id, min(n) AS n, min(w) AS w FROM rec_lines GROUP BY order_id) o
"""

# Each pair once (a < b), counted in one pass over both kinds of evidence: bought in the same
# order (baskets of 2 to `max_basket` products, weighted by the order's age) and bought by
# the same customer (their MAX_CUSTOMER_ITEMS latest products). A pair is one bigint (the two
# products' ranks), so the pass sorts and groups integers. Kept from `support` orders or
# customers, and judged: a substitute shares a (non-empty) category with the product, or is
# bought by the same customers (customer lift > 1) but rarely in one order; otherwise, bought
# together in `support` orders, a complement. A substitute by category that no two customers
# bought both of (one shopper's repeat orders, guests) scores 0.
_JUDGED = """
INSERT INTO rec_judged (a, b, kind, score, lift, support, w, n)
WITH ol AS (
  SELECT l.order_id, i.r, l.w FROM rec_lines l JOIN rec_items i ON i.product_id = l.product_id
  WHERE l.n BETWEEN 2 AND %(max_basket)s
), cl AS (
  SELECT c.customer_id, i.r FROM rec_custitems c JOIN rec_items i ON i.product_id = c.product_id
), counted AS (
  SELECT k, sum(w) AS w, count(*) FILTER (WHERE o) AS n, count(*) FILTER (WHERE NOT o) AS c
  FROM (SELECT x.r::bigint * %(ranks)s + y.r AS k, x.w, true AS o
        FROM ol x JOIN ol y ON y.order_id = x.order_id AND y.r > x.r
        UNION ALL
        SELECT x.r::bigint * %(ranks)s + y.r, 0.0::float8, false
        FROM cl x JOIN cl y ON y.customer_id = x.customer_id AND y.r > x.r) pairs
  GROUP BY k
), kept AS (
  SELECT (k / %(ranks)s)::int AS ra, (k %% %(ranks)s)::int AS rb,
         CASE WHEN n >= %(support)s THEN w END AS w,
         CASE WHEN n >= %(support)s THEN n END AS n,
         CASE WHEN c >= %(support)s THEN c END AS c
  FROM counted WHERE n >= %(support)s OR c >= %(support)s
), judged AS (
  SELECT ia.product_id AS a, ib.product_id AS b, kept.w, n, c, ia.w AS wa, ib.w AS wb,
         kept.w * %(total_w)s::float8 / (ia.w * ib.w) AS olift,
         c * %(customers)s::float8 / greatest(ia.customers::float8 * ib.customers, 1) AS clift,
         CASE WHEN ia.category <> '' AND ia.category = ib.category THEN 'substitute'
              WHEN c IS NOT NULL AND coalesce(n, 0) <= %(together)s::float8 * c
                   AND c * %(customers)s::float8
                       / greatest(ia.customers::float8 * ib.customers, 1) > 1
                   THEN 'substitute'
              WHEN n IS NOT NULL THEN 'complement' END AS kind
  FROM kept JOIN rec_items ia ON ia.r = kept.ra JOIN rec_items ib ON ib.r = kept.rb
)
SELECT a, b, kind,
       CASE WHEN kind = 'complement' THEN w / sqrt(wa * wb) ELSE coalesce(clift, 0) END,
       CASE WHEN kind = 'complement' THEN olift ELSE coalesce(clift, 0) END,
       CASE WHEN kind = 'complement' THEN n ELSE coalesce(c, n) END,
       w, n
FROM judged
WHERE kind IS NOT NULL OR n IS NOT NULL
"""

_ASSOCIATIONS_INSERT = """
WITH both_ways AS (
  SELECT a AS product_id, b AS related_id, kind, score, lift, support FROM rec_judged
  WHERE kind IS NOT NULL
  UNION ALL
  SELECT b, a, kind, score, lift, support FROM rec_judged WHERE kind IS NOT NULL
), ranked AS (
  SELECT *, row_number() OVER (PARTITION BY product_id, kind
                               ORDER BY score DESC, related_id) AS r
  FROM both_ways
), inserted AS (
  INSERT INTO recommendations_productassociation
      (tenant_id, product_id, related_id, kind, score, lift, support)
  SELECT %s, product_id, related_id, kind, score, lift, support FROM ranked WHERE r <= %s
  RETURNING 1
)
SELECT count(*) FROM inserted
"""

_POPULARITY_INSERT = """
INSERT INTO recommendations_productpopularity (tenant_id, product_id, score, orders)
SELECT %s, product_id, w, orders FROM rec_items
"""

# Categories bought together: the co-purchases of products bought together in `min_support`
# orders summed per pair of (different, named) categories, normalised like the products' own
# score.
_CATEGORIES_INSERT = """
WITH cat AS (
  SELECT category, sum(w) AS w FROM rec_items WHERE category <> '' GROUP BY category
), pairs AS (
  SELECT ia.category AS a, ib.category AS b, sum(p.w) AS w
  FROM rec_judged p
  JOIN rec_items ia ON ia.product_id = p.a JOIN rec_items ib ON ib.product_id = p.b
  WHERE p.n IS NOT NULL
    AND ia.category <> '' AND ib.category <> '' AND ia.category <> ib.category
  GROUP BY 1, 2
), both_ways AS (
  SELECT a, b, w FROM pairs UNION ALL SELECT b, a, w FROM pairs
), scored AS (
  SELECT x.a, x.b, sum(x.w) / sqrt(ca.w * cb.w) AS score
  FROM both_ways x JOIN cat ca ON ca.category = x.a JOIN cat cb ON cb.category = x.b
  GROUP BY x.a, x.b, ca.w, cb.w
), ranked AS (
  SELECT *, row_number() OVER (PARTITION BY a ORDER BY score DESC, b) AS r FROM scored
)
INSERT INTO recommendations_categoryassociation (tenant_id, category, related_category, score)
SELECT %s, a, b, score FROM ranked WHERE r <= %s
"""
