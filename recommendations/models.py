"""Clicks on recommended products: the input of attributed revenue (a later order of the same
shopper with the clicked product). Recorded where the click lands, before the redirect."""

from __future__ import annotations

from django.db import models

from tenants.scoping import TenantScopedModel


class RecommendationClick(TenantScopedModel):
    class Surface(models.TextChoices):
        TRACKING_PAGE = "tracking_page", "Tracking page"

    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    # The order the recommendation was made for, and its shopper: whose later orders count.
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", db_index=False)
    customer = models.ForeignKey("orders.Customer", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+", db_index=False)
    surface = models.CharField(max_length=24, choices=Surface.choices)
    # Where on the surface: the tracking page's shipment id (an id, not a key: tracking sits
    # above this app).
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
