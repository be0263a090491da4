"""The retailer's return policy: every edit is a new version (requests keep theirs), checked
here for the dashboard's editor and the API alike, and written to the audit log.

Problems are reported per field, by its path (`rules[1].reasons`, `category_window_days`), each
with words a retailer can act on, all at once: the editor shows them beside their fields, the
API in its one error shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field

from config.errors import ValidationFailed
from orders.selectors import product_categories
from tenants.models import Tenant
from tenants.services import audit_record

from ..models import Resolution, ReturnPolicy, ReturnReason, ReturnRule

# The fields an edit may change; the rest (version, who, when) are the service's.
EDITABLE = ("window_days", "category_window_days", "non_returnable_categories",
            "non_returnable_tags", "final_sale_tags", "gift_returns_allowed",
            "review_above_order_value", "reasons", "default_resolutions",
            "store_credit_bonus_percent", "return_shipping_fee", "restocking_percent",
            "fees_waived_for", "fraud_max_returns_90d", "fraud_review_above_value",
            "refund_due_business_days", "return_address", "label_carriers")
MAX_WINDOW_DAYS = 365
MAX_RULES = 50


@dataclass(frozen=True)
class RuleInput:
    resolutions: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    max_unit_price: Decimal | None = None
    needs_review: bool = False


class _Problems(dict):
    """field path → its problems, collected so the retailer sees every one at once."""

    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)


def _strings(problems: _Problems, value: object, name: str,
             allowed: list[str] | None = None) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        problems.add(name, "A list of texts.")
        return []
    cleaned = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if allowed is not None:
        unknown = [v for v in cleaned if v not in allowed]
        if unknown:
            problems.add(name, f"Unknown value(s) {', '.join(unknown)}; choose from "
                               f"{', '.join(allowed)}.")
    return cleaned


def _known_categories(problems: _Problems, names: list[str], path: str,
                      catalog: dict[str, str]) -> None:
    """A category the catalog does not have would never match an item: a typo that silently
    changes nothing. Compared as the policy compares (case and spaces ignored)."""
    unknown = [n for n in names if n.strip().casefold() not in catalog]
    if unknown:
        known = ", ".join(sorted(catalog.values())[:20]) or "none yet"
        problems.add(path, f"Unknown categor{'y' if len(unknown) == 1 else 'ies'} "
                           f"{', '.join(unknown)}: no product of your catalog has "
                           f"{'it' if len(unknown) == 1 else 'them'} (categories: {known}).")


def _check(tenant: Tenant, values: dict, rules: list[RuleInput], changed: set[str],
           rules_changed: bool) -> None:
    """Every problem of an edit, by field path. Categories are checked against the catalog
    only where the edit names them (a product renamed since must not block other edits)."""
    problems = _Problems()
    for name in ("reasons", "default_resolutions", "fees_waived_for"):
        allowed = ReturnReason.values if name == "reasons" else Resolution.values
        values[name] = _strings(problems, values[name], name, allowed)
    for name in ("non_returnable_categories", "non_returnable_tags", "final_sale_tags",
                 "label_carriers"):
        values[name] = _strings(problems, values[name], name)
    if not values["reasons"] and "reasons" not in problems:
        problems.add("reasons", "Offer at least one return reason.")
    if not values["default_resolutions"] and "default_resolutions" not in problems:
        problems.add("default_resolutions", "Offer at least one resolution.")
    windows = values["category_window_days"]
    if not isinstance(windows, dict) or not all(
            isinstance(k, str) and k.strip() and isinstance(v, int) and not isinstance(v, bool)
            for k, v in windows.items()):
        problems.add("category_window_days", "A category and a whole number of days each.")
        windows = {}
    for category, days in windows.items():
        if not 0 <= days <= MAX_WINDOW_DAYS:
            problems.add("category_window_days",
                         f"{category}: a window is 0 to {MAX_WINDOW_DAYS} days, not {days}.")
    if not isinstance(values["return_address"], dict):
        problems.add("return_address", "The return address is an object.")
    if len(rules) > MAX_RULES:
        problems.add("rules", f"At most {MAX_RULES} rules.")
    for i, rule in enumerate(rules):
        _strings(problems, rule.resolutions, f"rules[{i}].resolutions", Resolution.values)
        _strings(problems, rule.reasons, f"rules[{i}].reasons", ReturnReason.values)
        _strings(problems, rule.categories, f"rules[{i}].categories")
        if rule.max_unit_price is not None and rule.max_unit_price < 0:
            problems.add(f"rules[{i}].max_unit_price", "Zero or more.")
        if not rule.resolutions and not rule.needs_review:
            problems.add(f"rules[{i}]", f"Rule {i + 1} needs resolutions or review.")
    named = [("category_window_days", list(windows))] if "category_window_days" in changed else []
    if "non_returnable_categories" in changed:
        named.append(("non_returnable_categories", values["non_returnable_categories"]))
    if rules_changed:
        named += [(f"rules[{i}].categories", list(r.categories)) for i, r in enumerate(rules)]
    if any(names for _, names in named):
        catalog = product_categories(tenant)
        for path, names in named:
            if names and path not in problems:
                _known_categories(problems, names, path, catalog)
    if problems:
        raise ValidationFailed("Some policy fields are not valid; see details.",
                               details=dict(problems))


def _default(name: str) -> object:
    field = ReturnPolicy._meta.get_field(name)
    assert isinstance(field, Field)
    return field.get_default()


def return_policy_update(tenant: Tenant, *, actor: str = "", rules: list[RuleInput] | None = None,
                         replace: bool = False, **fields) -> ReturnPolicy:
    """Write the next version: the current one's values with `fields` changed (and `rules`
    replaced when given, else copied); `replace`: the defaults with `fields`, as a whole new
    policy. Unknown fields are refused."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"Unknown policy field {sorted(unknown)[0]!r}.",
                               details={name: ["Unknown field."] for name in sorted(unknown)})
    with transaction.atomic():
        # The lock on the newest version serialises two editors (the second gets v+2).
        current = ReturnPolicy.objects.select_for_update().order_by("-version").first()
        base = ({name: getattr(current, name) for name in EDITABLE} if current
                else {name: _default(name) for name in EDITABLE})
        values = {**({name: _default(name) for name in EDITABLE} if replace else base),
                  **fields}
        rules_changed = rules is not None
        if rules is None:
            rules = [RuleInput(resolutions=r.resolutions, reasons=r.reasons,
                               categories=r.categories, max_unit_price=r.max_unit_price,
                               needs_review=r.needs_review)
                     for r in (current.rules.order_by("position") if current else [])]
        _check(tenant, values, rules, set(fields), rules_changed)
        policy = ReturnPolicy(tenant=tenant, version=(current.version + 1 if current else 1),
                              created_by=actor[:200], **values)
        try:
            policy.full_clean(exclude=["tenant"])
        except ValidationError as exc:
            raise ValidationFailed("Some policy fields are not valid; see details.",
                                   details=exc.message_dict) from None
        policy.save()
        ReturnRule.objects.bulk_create([ReturnRule(
            tenant=tenant, policy=policy, position=i + 1, resolutions=list(r.resolutions),
            reasons=list(r.reasons), categories=list(r.categories),
            max_unit_price=r.max_unit_price, needs_review=r.needs_review)
            for i, r in enumerate(rules)])
        changed = sorted(name for name in EDITABLE if values[name] != base[name])
        if rules_changed:
            changed.append("rules")
        audit_record(tenant, actor=actor or "system", action="return_policy.changed",
                     summary=f"Return policy v{policy.version}"
                             + (": changed " + ", ".join(changed) if changed else ""),
                     object_type="return_policy", object_id=policy.pk,
                     data={"version": policy.version, "fields": changed})
    return policy
