"""Daily rollups: one row per tenant × day (in the tenant's time zone) × dimension, with counts
only, so every figure of a period is a sum of rows and every rate a ratio of two sums.

    raw rows (messages, events, milestones, ratings, page views, orders)
        └─ analytics/rollups: changed rows since the cursor → the days they touch
              └─ those days recomputed from raw rows, set-based (DELETE + INSERT … SELECT)
                    └─ KPI selectors (analytics/kpis.py) read these tables only

Identifiers of other apps' rows (journey, rule, template version) are kept as plain integers
(0: none), not foreign keys: deleting a rule must not rewrite history, and a rollup row is
replaced as a whole whenever its day is recomputed.
"""

from __future__ import annotations

from django.db import models

from tenants.scoping import TenantScopedModel


class RollupCursor(TenantScopedModel):
    """How far the incremental rollup has read one source of changes for one tenant."""

    source = models.CharField(max_length=32)  # analytics.rollups.SOURCES
    last_id = models.BigIntegerField(default=0)  # id-ordered sources
    last_at = models.DateTimeField(null=True, blank=True)  # time-ordered sources
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "source"],
                                               name="rollupcursor_unique_source")]


class MessageDay(TenantScopedModel):
    """Messages by the day they were sent; every later outcome (a delivery, an open three days
    later) counts on that day, so a day's rates compare like with like."""

    day = models.DateField()
    channel = models.CharField(max_length=8)
    milestone = models.CharField(max_length=32)
    journey_id = models.BigIntegerField(default=0)
    rule_id = models.BigIntegerField(default=0)
    template_version_id = models.BigIntegerField(default=0)
    locale = models.CharField(max_length=10, blank=True)
    sent = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    bounced = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    opened = models.IntegerField(default=0)  # by a person (a click counts as an open)
    machine_opened = models.IntegerField(default=0)  # opened only by a machine (Apple MPP)
    clicked = models.IntegerField(default=0)
    unsubscribed = models.IntegerField(default=0)
    spam_reports = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(
            fields=["tenant", "day", "channel", "milestone", "rule_id", "template_version_id",
                    "locale"], name="messageday_unique")]


class ShipmentDay(TenantScopedModel):
    """Shipments by carrier and service, each counted on the day of the milestone it reached
    (shipped, delivered, exception, delayed, stalled)."""

    day = models.DateField()
    carrier = models.CharField(max_length=32)
    service = models.CharField(max_length=64, blank=True)
    shipped = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    with_promise = models.IntegerField(default=0)  # delivered, with a promised date
    on_time_promise = models.IntegerField(default=0)  # … delivered on or before it
    with_estimate = models.IntegerField(default=0)  # delivered, with a first carrier estimate
    on_time_estimate = models.IntegerField(default=0)  # … delivered on or before it
    exceptions = models.IntegerField(default=0)
    delayed = models.IntegerField(default=0)
    stalled = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "carrier", "service"],
                                               name="shipmentday_unique")]


class TransitDay(TenantScopedModel):
    """Delivered shipments per carrier by whole days in transit: a histogram, so a median or a
    90th percentile over any period is exact."""

    day = models.DateField()  # the delivery day
    carrier = models.CharField(max_length=32)
    transit_days = models.IntegerField()
    shipments = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "carrier", "transit_days"],
                                               name="transitday_unique")]


class ExceptionDay(TenantScopedModel):
    """Shipments that reached the exception milestone, by carrier and who caused it."""

    day = models.DateField()
    carrier = models.CharField(max_length=32)
    cause = models.CharField(max_length=16)  # tracking.statuses.ExceptionCause
    shipments = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "carrier", "cause"],
                                               name="exceptionday_unique")]


class PageViewDay(TenantScopedModel):
    """Tracking page views by source. The day is UTC: tracking counts views per UTC day."""

    day = models.DateField()
    source = models.CharField(max_length=8)
    views = models.IntegerField(default=0)
    shipments = models.IntegerField(default=0)  # shipments viewed that day

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "source"],
                                               name="pageviewday_rollup_unique")]


class RatingDay(TenantScopedModel):
    """Delivery ratings by the day they were first given, per star."""

    day = models.DateField()
    rating = models.SmallIntegerField()
    ratings = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "rating"],
                                               name="ratingday_unique")]


class RepeatDay(TenantScopedModel):
    """Orders of known shoppers delivered that day, and how many of those shoppers ordered
    again within 30, 60 and 90 days of the delivery."""

    day = models.DateField()
    delivered_orders = models.IntegerField(default=0)
    repeat_30 = models.IntegerField(default=0)
    repeat_60 = models.IntegerField(default=0)
    repeat_90 = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="repeatday_unique")]


class SalesDay(TenantScopedModel):
    """Units sold per product by the day the order was placed (the returns rate's base)."""

    day = models.DateField()
    product_id = models.BigIntegerField(default=0)  # 0: a line without a catalog product
    category = models.CharField(max_length=100, blank=True)
    units = models.IntegerField(default=0)
    lines = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "product_id", "category"],
                                               name="salesday_unique")]


class ReturnDay(TenantScopedModel):
    """Return lines by the day the return was requested, per reason and product (rejected and
    cancelled requests do not count)."""

    day = models.DateField()
    reason = models.CharField(max_length=24)
    product_id = models.BigIntegerField(default=0)
    category = models.CharField(max_length=100, blank=True)
    lines = models.IntegerField(default=0)
    units = models.IntegerField(default=0)
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(
            fields=["tenant", "day", "reason", "product_id", "category"], name="returnday_unique")]


class RefundDay(TenantScopedModel):
    """Returns settled that day, by resolution and whole days from receipt to settlement."""

    day = models.DateField()
    resolution = models.CharField(max_length=16)
    refund_days = models.IntegerField()
    returns = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(
            fields=["tenant", "day", "resolution", "refund_days"], name="refundday_unique")]


class RecommendationDay(TenantScopedModel):
    """Recommended products shown and clicked per placement (surface, and for messages the
    milestone), each on its own day."""

    day = models.DateField()
    surface = models.CharField(max_length=24)
    milestone = models.CharField(max_length=32, blank=True)
    shown = models.IntegerField(default=0)
    clicks = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "surface", "milestone"],
                                               name="recommendationday_unique")]


class AttributionDay(TenantScopedModel):
    """Orders placed that day that recommendations earned, per placement of the attributing
    click and currency, as recommendations.selectors.attributed_orders defines them."""

    day = models.DateField()
    surface = models.CharField(max_length=24)
    milestone = models.CharField(max_length=32, blank=True)
    currency = models.CharField(max_length=3)
    orders = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)  # order totals
    # The lines of products the shopper clicked: the part the recommendation itself sold.
    recommended_revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(
            fields=["tenant", "day", "surface", "milestone", "currency"],
            name="attributionday_unique")]


class HoldoutDay(TenantScopedModel):
    """A rule with a holdout: its messages planned that day, in two groups (sent, or held
    out: messaging.models.HOLDOUT_REASON), and how many of those shoppers ordered again within
    30 days of the message."""

    day = models.DateField()
    rule_id = models.BigIntegerField()
    cohort = models.CharField(max_length=8)  # treated, holdout
    shoppers = models.IntegerField(default=0)
    repeat_30 = models.IntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "rule_id", "cohort"],
                                               name="holdoutday_unique")]
