"""Returns: the retailer's policy (versioned), the shopper's requests, their lines, photos and
timeline, and the milestones a request reaches (an outbox that messaging plans messages from).

    ReturnPolicy v1, v2, …      a new row per edit; a request keeps the version it was made under
      └─ ReturnRule             conditions (reasons, categories, value) × outcomes (resolutions)
    ReturnRequest               order, shopper, status, resolution, method, label, totals
      ├─ ReturnLine             line item × quantity, reason, comment, condition on receipt
      │    └─ ReturnPhoto       an image the shopper sent (EXIF stripped, tenant media prefix)
      ├─ ReturnEvent            the request's timeline (also written to the order's timeline)
      └─ ReturnMilestoneRecord  at most once per request × milestone (outbox, tenants/outbox.py)

The policy is evaluated in one place, returns/policy.py; the status moves in returns/services.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.outbox import OutboxRow
from tenants.scoping import TenantScopedModel

PERCENT_RANGE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def money(**options) -> models.DecimalField:
    """An amount in the order's currency (as orders' MONEY fields)."""
    return models.DecimalField(max_digits=12, decimal_places=2, **options)


def percent(**options) -> models.DecimalField:
    return models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT_RANGE, **options)


def private_storage():
    """Photos live in the private storage (settings STORAGES["private"]): no /media/ URL."""
    from django.core.files.storage import storages

    return storages["private"]


def photo_path(instance: ReturnPhoto, filename: str) -> str:
    """Under the tenant's prefix, named by chance (never by the shopper's file name)."""
    return f"tenants/{instance.tenant_id}/returns/{secrets.token_hex(16)}.jpg"


def new_return_token() -> str:
    return secrets.token_urlsafe(24)


class ReturnMilestone(models.TextChoices):
    RETURN_REQUESTED = "return_requested", "Return requested"
    RETURN_APPROVED = "return_approved", "Return approved"
    RETURN_REJECTED = "return_rejected", "Return rejected"
    RETURN_LABEL_READY = "return_label_ready", "Return label ready"
    RETURN_RECEIVED = "return_received", "Return received"
    REFUND_ISSUED = "refund_issued", "Refund issued"
    # No refund recorded N business days after `received` (the policy's setting): the shopper
    # is told before they ask, once.
    REFUND_DELAYED = "refund_delayed", "Refund delayed"


class ReturnReason(models.TextChoices):
    """The reasons a shopper can give; a policy offers a subset (`ReturnPolicy.reasons`).
    Labels are the shopper's words, translated in locale/."""

    TOO_SMALL = "too_small", _("Too small")
    TOO_LARGE = "too_large", _("Too large")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    DAMAGED = "damaged", _("Arrived damaged")  # asks for a photo
    WRONG_ITEM = "wrong_item", _("Wrong item sent")  # asks for a photo
    QUALITY = "quality", _("Quality not as expected")
    CHANGED_MIND = "changed_mind", _("Changed my mind")
    ARRIVED_LATE = "arrived_late", _("Arrived too late")
    OTHER = "other", _("Other reason")


# Reasons a photo is asked for: the retailer sees the damage or the wrong item before approving.
PHOTO_REASONS = frozenset({ReturnReason.DAMAGED, ReturnReason.WRONG_ITEM})


class Resolution(models.TextChoices):
    REFUND = "refund", _("Refund to the original payment")
    STORE_CREDIT = "store_credit", _("Store credit")
    EXCHANGE = "exchange", _("Exchange for another size or colour")
    # Refunded without sending the item back (below the rule's value threshold).
    KEEP_IT = "keep_it", _("Keep the item, refund")


class ReturnMethod(models.TextChoices):
    LABEL = "label", _("Prepaid return label")
    SELF_SHIP = "self_ship", _("I'll ship it myself")
    NONE = "none", _("Nothing to send back")  # keep it


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    NEEDS_REVIEW = "needs_review", _("Being reviewed")
    APPROVED = "approved", _("Approved")
    LABEL_READY = "label_ready", _("Label ready")
    IN_TRANSIT = "in_transit", _("On its way back")
    RECEIVED = "received", _("Received")
    REFUNDED = "refunded", _("Refunded")
    CREDITED = "credited", _("Store credit issued")
    EXCHANGED = "exchanged", _("Exchanged")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# Where a request's story has ended: nothing moves it any more.
FINAL_STATUSES = frozenset({ReturnStatus.REFUNDED, ReturnStatus.CREDITED, ReturnStatus.EXCHANGED,
                            ReturnStatus.REJECTED, ReturnStatus.CANCELLED})
# Requests that hold their lines' quantities (a rejected or cancelled one gives them back).
HOLDING_STATUSES = frozenset(set(ReturnStatus.values) - {ReturnStatus.REJECTED,
                                                         ReturnStatus.CANCELLED})


class CreatedVia(models.TextChoices):
    SHOPPER = "shopper", "Shopper (returns portal)"
    AGENT = "agent", "Support agent"
    API = "api", "API"
    DEMO = "demo", "Demo data"


class ItemCondition(models.TextChoices):
    """What the returns team found when the parcel was opened."""

    AS_NEW = "as_new", "As new, resellable"
    USED = "used", "Used"
    DAMAGED = "damaged", "Damaged"
    MISSING = "missing", "Not in the parcel"


def _default_reasons() -> list[str]:
    return list(ReturnReason.values)


def _default_resolutions() -> list[str]:
    return [Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE]


def _default_waived_for() -> list[str]:
    return [Resolution.EXCHANGE, Resolution.STORE_CREDIT]


def _default_final_sale_tags() -> list[str]:
    return ["final-sale"]


class ReturnPolicy(TenantScopedModel):
    """One version of a tenant's return policy. Editing writes a new version (the highest is
    in force); a request points at the version it was made under, so a later edit never
    changes the rules of a return already started."""

    version = models.PositiveIntegerField()
    # Window: N days from delivery, or from the order for a parcel never delivered; a category
    # may have its own ({"swimwear": 14}). Counted in whole days in the shopper's time zone.
    window_days = models.PositiveSmallIntegerField(default=30)
    category_window_days = models.JSONField(default=dict, blank=True)
    # Eligibility
    non_returnable_categories = models.JSONField(default=list, blank=True)
    non_returnable_tags = models.JSONField(default=list, blank=True)
    final_sale_tags = models.JSONField(default=_default_final_sale_tags, blank=True)
    gift_returns_allowed = models.BooleanField(default=True)  # as store credit only
    review_above_order_value = money(null=True, blank=True)
    # Offered to the shopper
    reasons = models.JSONField(default=_default_reasons)
    default_resolutions = models.JSONField(default=_default_resolutions)
    store_credit_bonus_percent = percent(default=Decimal("0"))
    # Fees: taken off a refund; waived for the resolutions listed.
    return_shipping_fee = money(default=Decimal("0"),
                                              validators=[MinValueValidator(Decimal("0"))])
    restocking_percent = percent(default=Decimal("0"))
    fees_waived_for = models.JSONField(default=_default_waived_for, blank=True)
    # Fraud guard: more than N returns in 90 days, or a return worth more, goes to review.
    fraud_max_returns_90d = models.PositiveSmallIntegerField(null=True, blank=True)
    fraud_review_above_value = money(null=True, blank=True)
    # After `received`, the refund is due within N business days; past it, `refund_delayed`.
    refund_due_business_days = models.PositiveSmallIntegerField(default=5)
    # Where "I'll ship it myself" sends the parcel: {"name", "address1", "address2", "city",
    # "postcode", "country_code"}.
    return_address = models.JSONField(default=dict, blank=True)
    # Carriers a prepaid label may use ("USPS", "UPS", …; empty: any the account offers).
    label_carriers = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=200, blank=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="returnpolicy_unique_version"),
        ]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Return policy v{self.version}"


class ReturnRule(TenantScopedModel):
    """When an item matches every condition given (an empty one matches all), its outcomes are
    these resolutions, or review. Rules are tried in `position` order; the first match wins;
    no match: the policy's default resolutions."""

    policy = models.ForeignKey(ReturnPolicy, on_delete=models.CASCADE, related_name="rules",
                               db_index=False)
    position = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    # The item's unit price at most this (e.g. keep-it below 15.00)
    max_unit_price = money(null=True, blank=True)
    resolutions = models.JSONField(default=list, blank=True)
    needs_review = models.BooleanField(default=False)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "policy", "position"],
                                    name="returnrule_unique_position"),
        ]
        ordering = ["policy", "position"]


class ReturnRequest(TenantScopedModel):
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+",
                              db_index=False)
    customer = models.ForeignKey("orders.Customer", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+", db_index=False)
    policy = models.ForeignKey(ReturnPolicy, on_delete=models.RESTRICT, related_name="+",
                               db_index=False)
    # "R-1001-1": the order number and a counter, as the shopper and the agent say it.
    number = models.CharField(max_length=48)
    # The status page /s/<slug>/returns/<token>/: unguessable and the only authority there, so
    # its unique index is global (as a shipment's public token).
    public_token = models.CharField(max_length=40, unique=True, default=new_return_token)
    status = models.CharField(max_length=16, choices=ReturnStatus.choices,
                              default=ReturnStatus.REQUESTED)
    resolution = models.CharField(max_length=16, choices=Resolution.choices)
    method = models.CharField(max_length=16, choices=ReturnMethod.choices)
    created_via = models.CharField(max_length=16, choices=CreatedVia.choices)
    created_by = models.CharField(max_length=200, blank=True)  # "user:<email>", "api:dsk_…"
    locale = models.CharField(max_length=10, blank=True)  # the shopper's, when they started it
    # Why it waits for a person (policy.review codes), and why it was rejected.
    review_reasons = models.JSONField(default=list, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    # Totals, as the shopper saw them before confirming (policy.Quote).
    currency = models.CharField(max_length=3)
    items_value = money(default=Decimal("0"))
    fee = money(default=Decimal("0"))
    refund_amount = money(default=Decimal("0"))
    credit_amount = money(default=Decimal("0"))
    # What was recorded when it was settled (refund/credit/exchange), and its reference.
    settled_amount = money(null=True, blank=True)
    settled_reference = models.CharField(max_length=200, blank=True)
    # Label: the return parcel (a tracking.Shipment, moved by carrier webhooks like any other).
    return_shipment = models.ForeignKey("tracking.Shipment", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+",
                                        db_index=False)
    label_carrier = models.CharField(max_length=32, blank=True)
    label_tracking_number = models.CharField(max_length=64, blank=True)
    label_url = models.URLField(max_length=1000, blank=True)  # the label's PDF (else PNG)
    # The provider's shipment (EasyPost "shp_…"), kept before buying: a retry after an
    # uncertain answer looks at it instead of buying a second label.
    label_provider_id = models.CharField(max_length=64, blank=True)
    label_error = models.CharField(max_length=500, blank=True)  # the last failed attempt's
    label_attempts = models.PositiveSmallIntegerField(default=0)
    # When the label is tried again after a failure (returns' sweep); None: not waiting.
    label_retry_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="returnrequest_unique_number"),
        ]
        indexes = [
            models.Index(fields=["tenant", "order"], name="returnrequest_tenant_order"),
            models.Index(fields=["tenant", "status", "-created_at"], name="returnrequest_queue"),
            models.Index(fields=["tenant", "customer", "created_at"],
                         name="returnrequest_tenant_customer"),
            models.Index(fields=["tenant", "return_shipment"], name="returnrequest_tenant_parcel"),
        ]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number


class ReturnLine(TenantScopedModel):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines",
                                db_index=False)
    line_item = models.ForeignKey("orders.LineItem", on_delete=models.CASCADE, related_name="+",
                                  db_index=False)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=24, choices=ReturnReason.choices)
    comment = models.CharField(max_length=1000, blank=True)
    unit_price = money()  # copied from the line when requested
    # Exchange: the variant wanted instead (a product of the same family, in stock).
    exchange_product = models.ForeignKey("orders.Product", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+",
                                         db_index=False)
    received_quantity = models.PositiveIntegerField(null=True, blank=True)
    condition = models.CharField(max_length=16, choices=ItemCondition.choices, blank=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "request", "line_item"],
                                    name="returnline_unique_item"),
        ]
        indexes = [
            # "Already returned": the quantities other requests hold for the same order line.
            models.Index(fields=["tenant", "line_item"], name="returnline_tenant_item"),
        ]
        ordering = ["request", "pk"]


class ReturnPhoto(TenantScopedModel):
    """A picture of a returned item, re-encoded without its metadata (EXIF: place, device),
    under the tenant's media prefix; served only to the tenant's members and to the holder of
    the request's token (returns/photos.py)."""

    line = models.ForeignKey(ReturnLine, on_delete=models.CASCADE, related_name="photos",
                             db_index=False)
    image = models.ImageField(upload_to=photo_path, storage=private_storage, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        indexes = [models.Index(fields=["tenant", "line"], name="returnphoto_tenant_line")]


class ReturnEvent(TenantScopedModel):
    """The request's timeline: every status change, note, label and settlement, with who did
    it. Each is also a line on the order's timeline (orders.services.order_event_record)."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="events",
                                db_index=False)
    status = models.CharField(max_length=16, choices=ReturnStatus.choices, blank=True)
    summary = models.CharField(max_length=500)
    actor = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    # Shown to the shopper on the status page (internal notes are not).
    public = models.BooleanField(default=True)

    class Meta(TenantScopedModel.Meta):
        indexes = [
            models.Index(fields=["tenant", "request", "occurred_at"], name="returnevent_timeline"),
        ]
        ordering = ["occurred_at", "pk"]


class ReturnMilestoneRecord(OutboxRow):
    """A milestone a return reached: at most once per request (unique), written with the
    status change, and an outbox row of kind `returns.return_milestone`: messaging registers
    the processor that plans its messages; returns' sweep is the safety net."""

    KIND = "returns.return_milestone"

    kind = models.CharField(max_length=64, default=KIND)
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE,
                                related_name="milestones", db_index=False)
    milestone = models.CharField(max_length=32, choices=ReturnMilestone.choices)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OutboxRow.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "request", "milestone"],
                                    name="returnmilestone_once_per_request"),
        ]
        indexes = [
            models.Index(fields=["tenant", "announced_at"], name="returnmilestone_unannounced",
                         condition=models.Q(announced_at__isnull=True)),
        ]
