"""Writes of the recommendations app: the retailer's settings and rules, recomputing what was
learned, and what shoppers were shown and clicked (attribution's input)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Field

from config import db
from config.errors import ValidationFailed
from orders.models import Product
from tenants.models import Tenant
from tenants.services import audit_record

from .learning import RecomputeResult, associations_recompute, settings_get
from .models import (
    CategoryRule,
    ProductRule,
    RecommendationClick,
    RecommendationSettings,
    RecommendationShown,
)
from .picking import returned_products_source_register

__all__ = ["RecomputeResult", "associations_recompute", "category_rules_replace",
           "product_rules_replace", "recommendation_click_record",
           "recommendation_settings_update", "recommendations_shown_record",
           "returned_products_source_register"]

SETTINGS_FIELDS = ("window_days", "half_life_days", "min_support", "top_k", "email_limit",
                   "tracking_page_limit", "attribution_days")


def recommendation_settings_update(tenant: Tenant, changes: dict, *, actor: str = "system"
                                   ) -> RecommendationSettings:
    """Change some of the store's settings; each value is checked against its field's
    bounds (a clear error, never a half-saved row). A change is written to the audit log
    (`actor`: "user:<email>", "api:<prefix>")."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed(details={name: ["Unknown setting."] for name in sorted(unknown)})
    config = settings_get(tenant)
    for name, value in changes.items():
        setattr(config, name, value)
    errors: dict[str, list[str]] = {}
    for name in changes:
        field = cast(Field, RecommendationSettings._meta.get_field(name))
        try:
            field.clean(getattr(config, name), config)
        except DjangoValidationError as exc:
            errors[name] = list(exc.messages)
    if errors:
        raise ValidationFailed(details=errors)
    config.save()
    if changes:
        audit_record(tenant, actor=actor, action="recommendations.settings_changed",
                     summary="Changed the recommendation settings: " + ", ".join(
                         f"{name} {value}" for name, value in sorted(changes.items())),
                     object_type="recommendation_settings", object_id=config.pk,
                     data={"changes": dict(sorted(changes.items()))})
    return config


@transaction.atomic
def product_rules_replace(tenant: Tenant, kind: str, product_ids: Sequence[int], *,
                          actor: str = "system") -> list[int]:
    """Set the store's pinned, blocked or curated products to `product_ids`, in that order.
    A product the store does not have is refused by id, and nothing changes."""
    if kind not in ProductRule.Kind.values:
        raise ValidationFailed(details={"kind": [f"One of {', '.join(ProductRule.Kind.values)}."]})
    wanted = list(dict.fromkeys(product_ids))
    found = set(Product.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        raise ValidationFailed("Some products are not in this store's catalog.",
                               details={"product_ids": [f"Unknown product: {pid}."
                                                        for pid in missing]})
    before = list(ProductRule.objects.filter(kind=kind).order_by("position", "pk")
                  .values_list("product_id", flat=True))
    ProductRule.objects.filter(kind=kind).delete()
    ProductRule.objects.bulk_create([ProductRule(tenant=tenant, product_id=pid, kind=kind,
                                                 position=position)
                                     for position, pid in enumerate(wanted)])
    if before != wanted:
        label = ProductRule.Kind(kind).label.lower()
        audit_record(tenant, actor=actor, action="recommendations.products_set",
                     summary=f"Set the {label} products ({len(wanted)})",
                     object_type="recommendation_products", object_id=kind,
                     data={"kind": kind, "product_ids": wanted, "before": before})
    return wanted


@transaction.atomic
def category_rules_replace(tenant: Tenant, rules: dict[str, list[str]], *,
                           actor: str = "system") -> dict[str, list[str]]:
    """Set the store's category rules ("after Tents show Sleeping bags, Stoves")."""
    cleaned = {}
    for category, related in rules.items():
        category = category.strip()
        targets = list(dict.fromkeys(c.strip() for c in related if c.strip() and
                                     c.strip() != category))
        if category and targets:
            cleaned[category] = targets
    before = dict(CategoryRule.objects.order_by("category").values_list(
        "category", "related_categories"))
    CategoryRule.objects.all().delete()
    CategoryRule.objects.bulk_create([CategoryRule(tenant=tenant, category=category,
                                                   related_categories=targets)
                                      for category, targets in sorted(cleaned.items())])
    if before != cleaned:
        audit_record(tenant, actor=actor, action="recommendations.category_rules_set",
                     summary=f"Set the category rules ({len(cleaned)})",
                     object_type="recommendation_category_rules", object_id="",
                     data={"rules": dict(sorted(cleaned.items())), "before": before})
    return cleaned


def recommendation_click_record(tenant: Tenant, *, product_id: int, surface: str,
                                reference: str, clicked_at: datetime,
                                order_id: int | None = None,
                                customer_id: int | None = None, milestone: str = "") -> None:
    """Record a click once per surface, reference, product and minute: the unique constraint
    decides, never a check first."""
    dedup_key = f"{surface}:{reference}:{product_id}:{clicked_at:%Y%m%d%H%M}"
    RecommendationClick.objects.bulk_create([RecommendationClick(
        tenant=tenant, product_id=product_id, order_id=order_id, customer_id=customer_id,
        surface=surface, milestone=milestone, reference=reference, clicked_at=clicked_at,
        dedup_key=dedup_key,
    )], ignore_conflicts=True)


def recommendations_shown_record(tenant: Tenant, shown: Iterable[RecommendationShown]) -> None:
    """Record products shown (once per surface, reference and product), in one statement
    whatever the batch (a dispatch batch's messages, a tracking page's orders)."""
    rows = sorted(shown, key=lambda r: (r.surface, r.reference, r.product_id))
    for row in rows:
        row.tenant_id = tenant.pk
    db.rows_insert(RecommendationShown, tenant.pk, rows,
                   conflict="tenant_id, surface, reference, product_id")
