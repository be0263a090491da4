"""What the recommender learned from a store's orders, what the retailer told it, and what
shoppers were shown and clicked.

    learned (recomputed by learning.py, replaced whole per store):
        ProductAssociation   product → related product: complement or substitute, scored
        CategoryAssociation  category → category bought together (the fallback's second step)
        ProductPopularity    recency-weighted orders per product (best sellers)
    told by the retailer (services.py):
        RecommendationSettings  window, support, per-placement counts, attribution window
        ProductRule          pinned, blocked or curated products
        CategoryRule         "after Tents show Sleeping bags, Stoves"
    observed:
        RecommendationShown  a product shown to a shopper in a placement
        RecommendationClick  a click on it (attribution's input)
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from tenants.scoping import TenantScopedModel


class Surface(models.TextChoices):
    """Where a recommendation is shown (a placement is a surface and, for messages, the
    message's milestone)."""

    TRACKING_PAGE = "tracking_page", "Tracking page"
    EMAIL = "email", "E-mail"


class AssociationKind(models.TextChoices):
    COMPLEMENT = "complement", "Complement"  # bought together, across categories: recommend
    SUBSTITUTE = "substitute", "Substitute"  # an alternative to it: never after a purchase


class ProductAssociation(TenantScopedModel):
    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    related = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    kind = models.CharField(max_length=12, choices=AssociationKind.choices)
    score = models.FloatField()  # the normalised score the ranking uses (see learning.py)
    lift = models.FloatField()
    support = models.PositiveIntegerField()  # orders (complement) or customers (substitute)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "product", "related"],
                                               name="recassoc_unique_pair")]

    def __str__(self) -> str:
        return f"{self.product_id} → {self.related_id} ({self.kind})"


class CategoryAssociation(TenantScopedModel):
    category = models.CharField(max_length=100)
    related_category = models.CharField(max_length=100)
    score = models.FloatField()

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "category", "related_category"],
                                               name="reccatassoc_unique_pair")]

    def __str__(self) -> str:
        return f"{self.category} → {self.related_category}"


class ProductPopularity(TenantScopedModel):
    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    score = models.FloatField()  # recency-weighted orders in the window
    orders = models.PositiveIntegerField()

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "product"],
                                               name="recpopularity_unique_product")]
        indexes = [models.Index(fields=["tenant", "-score"], name="recpopularity_tenant_score")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.score:.2f}"


class RecommendationSettings(TenantScopedModel):
    """One row per store; absent: the defaults below."""

    window_days = models.PositiveIntegerField(
        default=365, validators=[MinValueValidator(7), MaxValueValidator(3650)],
        help_text="How far back orders are learned from.")
    half_life_days = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="An order this old counts half as much as one placed today.")
    min_support = models.PositiveIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Orders (or customers) a pair needs before it is learned.")
    top_k = models.PositiveIntegerField(
        default=20, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Related products kept per product and kind.")
    email_limit = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(0), MaxValueValidator(12)])
    tracking_page_limit = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(0), MaxValueValidator(12)])
    attribution_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(90)])
    computed_at = models.DateTimeField(null=True, blank=True)
    compute_seconds = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant"], name="recsettings_unique_tenant")]

    def __str__(self) -> str:
        return f"recommendation settings of tenant {self.tenant_id}"

    def limit_for(self, surface: str) -> int:
        return self.tracking_page_limit if surface == Surface.TRACKING_PAGE else self.email_limit


class ProductRule(TenantScopedModel):
    class Kind(models.TextChoices):
        PIN = "pin", "Pinned"  # shown first, to everyone who has not bought it
        BLOCK = "block", "Blocked"  # never recommended
        CURATED = "curated", "Curated fallback"  # the last step of the fallback chain

    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "product"],
                                               name="recrule_unique_product")]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id}"


class CategoryRule(TenantScopedModel):
    """After a purchase in `category`, show products of `related_categories`, in order."""

    category = models.CharField(max_length=100)
    related_categories = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "category"],
                                               name="reccatrule_unique_category")]

    def __str__(self) -> str:
        return f"after {self.category}: {', '.join(self.related_categories)}"


class RecommendationShown(TenantScopedModel):
    """A product shown to a shopper: one row per placement, reference and product. Shown
    often and never clicked, a product sinks in that shopper's picks."""

    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    customer = models.ForeignKey("orders.Customer", null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+", db_index=False)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", db_index=False)
    surface = models.CharField(max_length=24, choices=Surface.choices)
    milestone = models.CharField(max_length=32, blank=True)  # a message's; blank on the page
    # The message id (e-mail) or the shipment id (tracking page): ids, not keys (both sit
    # above this app).
    reference = models.CharField(max_length=64)
    rule = models.CharField(max_length=24, blank=True)  # which step of the chain chose it
    shown_at = models.DateTimeField()

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(
            fields=["tenant", "surface", "reference", "product"], name="recshown_unique")]
        indexes = [models.Index(fields=["tenant", "customer", "product"],
                                name="recshown_tenant_customer")]

    def __str__(self) -> str:
        return f"{self.surface} showed product {self.product_id}"


class RecommendationClick(TenantScopedModel):
    """Clicks on recommended products: the input of attributed revenue (a later order of the
    same shopper with the clicked product). Recorded where the click lands, before the
    redirect."""

    Surface = Surface

    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    # The order the recommendation was made for, and its shopper: whose later orders count.
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", db_index=False)
    customer = models.ForeignKey("orders.Customer", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+", db_index=False)
    surface = models.CharField(max_length=24, choices=Surface.choices)
    milestone = models.CharField(max_length=32, blank=True)  # a message's; blank on the page
    # Where on the surface: the tracking page's shipment id, the message's id (ids, not keys:
    # both sit above this app).
    reference = models.CharField(max_length=64, blank=True)
    clicked_at = models.DateTimeField()
    # One click per surface, reference, product and minute: a double tap or a link scanner's
    # burst is one click (the unique constraint decides).
    dedup_key = models.CharField(max_length=200)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dedup_key"], name="recclick_unique_dedup"),
        ]
        indexes = [
            models.Index(fields=["tenant", "clicked_at"], name="recclick_tenant_clicked"),
            models.Index(fields=["tenant", "customer", "product"], name="recclick_tenant_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.surface} click on product {self.product_id}"
