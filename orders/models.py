"""Customers, products, orders and their lines: what a retailer sold, and to whom.

Every model is tenant-scoped. Rows pushed from outside are named by the retailer's own id
(`external_id`), unique per tenant, so a repeated push is stopped by the constraint
(`ON CONFLICT DO NOTHING`) rather than by a check before the insert. Foreign keys to other
large tables carry no index of their own: a composite index that starts with `tenant` serves
the same lookups and keeps every index distributable by tenant.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from tenants.outbox import OutboxRow
from tenants.scoping import TenantScopedModel

e164 = RegexValidator(r"^\+[1-9]\d{6,14}$", "Use a phone number in E.164 form, e.g. +4915112345678.")
currency_code = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")

MONEY = {"max_digits": 12, "decimal_places": 2}


class ConsentSource(models.TextChoices):
    """How a shopper gave (or withdrew) consent for a channel: kept as proof."""

    CHECKOUT = "checkout", "Checkout"  # a box ticked (or a notice accepted) at checkout
    ACCOUNT = "account", "Shopper account"  # the store's account or newsletter settings
    PREFERENCE_PAGE = "preference_page", "Doorstep preference page"
    SMS_KEYWORD = "sms_keyword", "SMS keyword"  # START / STOP replies
    API = "api", "API"  # pushed by the retailer's systems, which hold the proof
    IMPORT = "import", "Import"  # CSV upload or Shopify sync
    AGENT = "agent", "Support agent"  # recorded on the shopper's request
    DEMO = "demo", "Demo data"


class Customer(TenantScopedModel):
    """A shopper. Consent is kept per channel and purpose, each with when and how it was
    given: transactional messages (about an order) and marketing ones (reviews, offers) are
    separate decisions in most jurisdictions."""

    CONSENT_CHANNELS = ("transactional_email", "transactional_sms", "marketing_email",
                        "marketing_sms")

    external_id = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=16, blank=True, validators=[e164])
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    locale = models.CharField(max_length=10, blank=True, help_text="e.g. en, de; blank: the store's")
    timezone = models.CharField(max_length=64, blank=True, help_text="IANA name; blank: the store's")

    # Messages about the shopper's own order are expected, so e-mail defaults to yes.
    transactional_email_consent = models.BooleanField(default=True)
    transactional_email_consent_at = models.DateTimeField(null=True, blank=True)
    transactional_email_consent_source = models.CharField(max_length=20, blank=True,
                                                          choices=ConsentSource.choices)
    transactional_sms_consent = models.BooleanField(default=False)
    transactional_sms_consent_at = models.DateTimeField(null=True, blank=True)
    transactional_sms_consent_source = models.CharField(max_length=20, blank=True,
                                                        choices=ConsentSource.choices)
    marketing_email_consent = models.BooleanField(default=False)
    marketing_email_consent_at = models.DateTimeField(null=True, blank=True)
    marketing_email_consent_source = models.CharField(max_length=20, blank=True,
                                                      choices=ConsentSource.choices)
    marketing_sms_consent = models.BooleanField(default=False)
    marketing_sms_consent_at = models.DateTimeField(null=True, blank=True)
    marketing_sms_consent_source = models.CharField(max_length=20, blank=True,
                                                    choices=ConsentSource.choices)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"],
                                    name="customer_unique_external_id"),
        ]
        indexes = [
            # The agent console finds shoppers by e-mail, phone and name.
            models.Index(fields=["tenant", "email"], name="customer_tenant_email"),
            models.Index(fields=["tenant", "phone"], name="customer_tenant_phone"),
            models.Index(fields=["tenant", "last_name", "first_name"], name="customer_tenant_name"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.external_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def has_consent(self, channel: str) -> bool:
        if channel not in self.CONSENT_CHANNELS:
            raise ValueError(f"unknown consent channel {channel!r}")
        return getattr(self, f"{channel}_consent")


class Product(TenantScopedModel):
    external_id = models.CharField(max_length=100)
    sku = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=255)
    category = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=list, blank=True)  # ["tent", "2-person", …]
    url = models.URLField(max_length=500, blank=True)
    # Absolute, or a path on this site (the demo's pictures under /static/): messages make it
    # absolute on PUBLIC_BASE_URL, as a mail client has no page to resolve it against.
    image_url = models.URLField(max_length=500, blank=True)
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, validators=[currency_code])
    in_stock = models.BooleanField(default=True)
    # Help shown after the purchase: [{"kind": "video"|"guide"|"how_to", "title", "url"}].
    content_links = models.JSONField(default=list, blank=True)
    # The catalog's texts in other languages, where it has them: {"de": {"title": …, "url": …,
    # "content_links": [{"kind", "title", "url"}, …]}, …}; a text left out is the one above.
    translations = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    TRANSLATED = ("title", "url", "content_links")

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"],
                                    name="product_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["tenant", "sku"], name="product_tenant_sku"),
            models.Index(fields=["tenant", "category"], name="product_tenant_category"),
        ]

    def __str__(self) -> str:
        return self.title

    def translation(self, locale: str | None) -> dict:
        """The catalog's texts for a shopper in `locale`: its translation for the locale
        ("de-AT"), else for its language ("de"), else none ({}: the product's own apply)."""
        translations = self.translations if isinstance(self.translations, dict) else {}
        for option in (locale, (locale or "").split("-")[0].split("_")[0]):
            found = translations.get(option) if option else None
            if isinstance(found, dict):
                return {k: v for k, v in found.items() if k in self.TRANSLATED and v}
        return {}


class Order(TenantScopedModel):
    class Source(models.TextChoices):
        API = "api", "API"
        SHOPIFY = "shopify", "Shopify"
        CSV = "csv", "CSV import"
        DEMO = "demo", "Demo data"

    class FinancialStatus(models.TextChoices):
        PENDING = "pending", "Pending"  # payment not yet authorised (e.g. bank transfer)
        AUTHORIZED = "authorized", "Authorized"  # card authorised, captured on shipping
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        PAID = "paid", "Paid"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        VOIDED = "voided", "Voided"  # the authorisation was released, nothing was charged

    class FulfillmentStatus(models.TextChoices):
        UNFULFILLED = "unfulfilled", "Unfulfilled"
        PARTIALLY_FULFILLED = "partially_fulfilled", "Partially fulfilled"
        FULFILLED = "fulfilled", "Fulfilled"  # every item handed to a carrier
        PARTIALLY_RETURNED = "partially_returned", "Partially returned"
        RETURNED = "returned", "Returned"
        CANCELLED = "cancelled", "Cancelled"

    external_id = models.CharField(max_length=100)
    number = models.CharField(max_length=32, help_text='As the shopper sees it, e.g. "#1001".')
    # SET_NULL: erasing a shopper (GDPR) keeps the retailer's sales figures.
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="orders", db_index=False)
    placed_at = models.DateTimeField()
    currency = models.CharField(max_length=3, validators=[currency_code])
    subtotal = models.DecimalField(**MONEY, default=Decimal("0"))
    shipping = models.DecimalField(**MONEY, default=Decimal("0"))
    tax = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY, default=Decimal("0"))
    # {"name", "company", "address1", "address2", "city", "postcode", "province",
    #  "country_code", "phone"}
    shipping_address = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.API)
    financial_status = models.CharField(max_length=24, choices=FinancialStatus.choices,
                                        default=FinancialStatus.PENDING)
    fulfillment_status = models.CharField(max_length=24, choices=FulfillmentStatus.choices,
                                          default=FulfillmentStatus.UNFULFILLED)
    promised_delivery_date = models.DateField(null=True, blank=True)
    # When the source last changed the order, by its own clock (Shopify's `updated_at`): a
    # version older than this that arrives late is not applied over a newer one.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"],
                                    name="order_unique_external_id"),
            models.UniqueConstraint(fields=["tenant", "number"], name="order_unique_number"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-placed_at"], name="order_tenant_placed"),
            models.Index(fields=["tenant", "customer"], name="order_tenant_customer"),
            models.Index(fields=["tenant", "fulfillment_status"], name="order_tenant_fulfillment"),
        ]

    def __str__(self) -> str:
        return self.number


class LineItem(TenantScopedModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines",
                              db_index=False)
    # 1, 2, 3… within the order: keeps the shopper's order of items and makes a repeated
    # push of the same lines a conflict instead of a duplicate.
    position = models.PositiveSmallIntegerField()
    # Nullable: a line outlives a product deleted from the catalog; sku and title are copied.
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", db_index=False)
    sku = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "order", "position"],
                                    name="lineitem_unique_position"),
        ]
        indexes = [
            # Recommendations read "who bought this product" across orders.
            models.Index(fields=["tenant", "product"], name="lineitem_tenant_product"),
        ]
        ordering = ["order", "position"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class OrderEvent(TenantScopedModel):
    """The order's timeline: every app records what happened to an order here, through
    `orders.services.order_event_record`, so an agent reads one history."""

    class Kind(models.TextChoices):
        CREATED = "created", "Order received"
        UPDATED = "updated", "Order updated"
        CANCELLED = "cancelled", "Order cancelled"
        SHIPMENT_CREATED = "shipment_created", "Shipment created"
        SHIPMENT_STATUS = "shipment_status", "Shipment status changed"
        MILESTONE = "milestone", "Milestone reached"
        MESSAGE = "message", "Message to the shopper"
        RETURN = "return", "Return"
        NOTE = "note", "Note"
        REDACTED = "redacted", "Personal data erased"
        FEEDBACK = "feedback", "Delivery rated"
        AGENT_ACTION = "agent_action", "Agent action"  # from the order page, naming the agent

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events",
                              db_index=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    # Who or what did it: "api:dsk_ab12…", "shopify", "csv", "carrier:easypost", "user:<email>".
    actor = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    # Makes recording idempotent where the cause can repeat (a replayed webhook).
    dedup_key = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "order", "dedup_key"],
                                    condition=~models.Q(dedup_key=""),
                                    name="orderevent_unique_dedup"),
        ]
        indexes = [
            models.Index(fields=["tenant", "order", "occurred_at"], name="orderevent_tenant_order"),
        ]
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"


class OrderMilestoneName(models.TextChoices):
    """The order-level milestones (shipment milestones: tracking.statuses.Milestone)."""

    ORDER_CONFIRMED = "order_confirmed", "Order confirmed"


class OrderMilestone(OutboxRow):
    """An order-level milestone: at most once per order, written with the order, and an outbox
    row of kind `orders.order_milestone` (tenants/outbox.py): the app that reacts to it
    registers its processor; orders' sweep is the safety net. Shipment milestones live in
    tracking.ShipmentMilestone."""

    KIND = "orders.order_milestone"

    kind = models.CharField(max_length=64, default=KIND)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="milestones",
                              db_index=False)
    milestone = models.CharField(max_length=32, choices=OrderMilestoneName.choices)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OutboxRow.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "order", "milestone"],
                                    name="ordermilestone_once_per_order"),
        ]
        indexes = [
            models.Index(fields=["tenant", "announced_at"], name="ordermilestone_unannounced",
                         condition=models.Q(announced_at__isnull=True)),
        ]


class ImportJob(TenantScopedModel):
    """A CSV upload: the file is stored as uploaded (raw first), then imported in the
    background, row by row, with every bad row reported by line number and reason."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"  # the file as a whole could not be read

    kind = models.CharField(max_length=32, default="orders_csv")
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    content_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0)
    skipped_rows = models.PositiveIntegerField(default=0)  # already imported (same order)
    # [{"line": 7, "reason": "…"}], capped; `error_count` has the full number.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        indexes = [models.Index(fields=["tenant", "-created_at"], name="importjob_tenant_created")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
