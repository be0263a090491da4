"""The retailer's return policy: every edit is a new version (requests keep theirs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field

from config.errors import ValidationFailed
from tenants.models import Tenant

from ..models import Resolution, ReturnPolicy, ReturnReason, ReturnRule

# The fields an edit may change; the rest (version, who, when) are the service's.
EDITABLE = ("window_days", "category_window_days", "non_returnable_categories",
            "non_returnable_tags", "final_sale_tags", "gift_returns_allowed",
            "review_above_order_value", "reasons", "default_resolutions",
            "store_credit_bonus_percent", "return_shipping_fee", "restocking_percent",
            "fees_waived_for", "fraud_max_returns_90d", "fraud_review_above_value",
            "refund_due_business_days", "return_address", "label_carriers")


@dataclass(frozen=True)
class RuleInput:
    resolutions: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    max_unit_price: Decimal | None = None
    needs_review: bool = False


def _strings(value: object, name: str, allowed: list[str] | None = None) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(f"{name} must be a list of texts.", details={name: "not a list"})
    cleaned = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if allowed is not None:
        unknown = [v for v in cleaned if v not in allowed]
        if unknown:
            raise ValidationFailed(f"{name}: unknown value {unknown[0]!r}.",
                                   details={name: f"choose from {', '.join(allowed)}"})
    return cleaned


def _check(values: dict, rules: list[RuleInput]) -> None:
    for name in ("reasons", "default_resolutions", "fees_waived_for"):
        allowed = ReturnReason.values if name == "reasons" else Resolution.values
        values[name] = _strings(values[name], name, allowed)
    for name in ("non_returnable_categories", "non_returnable_tags", "final_sale_tags",
                 "label_carriers"):
        values[name] = _strings(values[name], name)
    if not values["reasons"]:
        raise ValidationFailed("Offer at least one return reason.", details={"reasons": "empty"})
    windows = values["category_window_days"]
    if not isinstance(windows, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 365
            for k, v in windows.items()):
        raise ValidationFailed("Category windows are a category and a number of days (0-365).",
                               details={"category_window_days": "invalid"})
    if not isinstance(values["return_address"], dict):
        raise ValidationFailed("The return address is an object.",
                               details={"return_address": "invalid"})
    for i, rule in enumerate(rules):
        _strings(rule.resolutions, f"rules[{i}].resolutions", Resolution.values)
        _strings(rule.reasons, f"rules[{i}].reasons", ReturnReason.values)
        _strings(rule.categories, f"rules[{i}].categories")
        if not rule.resolutions and not rule.needs_review:
            raise ValidationFailed(f"Rule {i + 1} needs resolutions or review.",
                                   details={f"rules[{i}]": "no outcome"})


def _default(name: str) -> object:
    field = ReturnPolicy._meta.get_field(name)
    assert isinstance(field, Field)
    return field.get_default()


def return_policy_update(tenant: Tenant, *, actor: str = "", rules: list[RuleInput] | None = None,
                         **fields) -> ReturnPolicy:
    """Write the next version: the current one's values with `fields` changed (and `rules`
    replaced when given, else copied). Unknown fields are refused."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"Unknown policy field {sorted(unknown)[0]!r}.")
    with transaction.atomic():
        # The lock on the newest version serialises two editors (the second gets v+2).
        current = ReturnPolicy.objects.select_for_update().order_by("-version").first()
        base = ({name: getattr(current, name) for name in EDITABLE} if current
                else {name: _default(name) for name in EDITABLE})
        values = {**base, **fields}
        if rules is None:
            rules = [RuleInput(resolutions=r.resolutions, reasons=r.reasons,
                               categories=r.categories, max_unit_price=r.max_unit_price,
                               needs_review=r.needs_review)
                     for r in (current.rules.order_by("position") if current else [])]
        _check(values, rules)
        policy = ReturnPolicy(tenant=tenant, version=(current.version + 1 if current else 1),
                              created_by=actor[:200], **values)
        try:
            policy.full_clean(exclude=["tenant"])
        except ValidationError as exc:
            raise ValidationFailed("Some policy fields are not valid.",
                                   details={k: " ".join(v) for k, v in exc.message_dict.items()}) from None
        policy.save()
        ReturnRule.objects.bulk_create([ReturnRule(
            tenant=tenant, policy=policy, position=i + 1, resolutions=list(r.resolutions),
            reasons=list(r.reasons), categories=list(r.categories),
            max_unit_price=r.max_unit_price, needs_review=r.needs_review)
            for i, r in enumerate(rules)])
    return policy
