"""Dashboard forms of the Recommendations page: the settings, the pinned, blocked and curated
products (named as the retailer knows them: SKU, their id or ours) and the category rules
("Tents: Sleeping bags, Stoves"). They check shape and say what is wrong in words; the
services (services.py) decide and record."""

from __future__ import annotations

import re
from typing import cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from orders.models import Product

from .models import RecommendationSettings
from .services import SETTINGS_FIELDS

MAX_PRODUCTS = 200  # as the API's lists
MAX_RULES = 200
_SEPARATORS = re.compile(r"[\n,;]+")

LABELS = {
    "email_limit": "Products in an e-mail",
    "tracking_page_limit": "Products on the tracking page",
    "window_days": "Learn from the last (days)",
    "half_life_days": "Half-life of an order (days)",
    "min_support": "Orders a pair needs",
    "top_k": "Related products kept per product",
    "attribution_days": "Days after a click in which an order counts",
}
HELP = {
    "email_limit": "0 shows none.",
    "tracking_page_limit": "0 shows none.",
    "half_life_days": "An order this old counts half as much as one placed today.",
    "min_support": "Bought together in fewer orders, a pair is not learned.",
}


def _bounds(name: str) -> tuple[int | None, int | None]:
    field = cast(models.Field, RecommendationSettings._meta.get_field(name))
    low = high = None
    for validator in field.validators:
        if isinstance(validator, MinValueValidator):
            low = cast(int, validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = cast(int, validator.limit_value)
    return low, high


class RecommendationSettingsForm(forms.Form):
    """How many products each placement shows, and how the store's orders are learned from:
    the model's bounds, said as the field's error."""

    PLACEMENTS = ("email_limit", "tracking_page_limit")
    LEARNING = ("window_days", "half_life_days", "min_support", "top_k", "attribution_days")

    def __init__(self, *args, config: RecommendationSettings, **kwargs):
        kwargs["initial"] = {name: getattr(config, name) for name in SETTINGS_FIELDS}
        super().__init__(*args, **kwargs)
        self.config = config
        for name in SETTINGS_FIELDS:
            low, high = _bounds(name)
            self.fields[name] = forms.IntegerField(
                label=LABELS[name], min_value=low, max_value=high, help_text=HELP.get(name, ""),
                error_messages={"required": "Give a number.", "invalid": "Give a whole number."},
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def changes(self) -> dict[str, int]:
        return {name: value for name, value in self.cleaned_data.items()
                if getattr(self.config, name) != value}

    def placement_fields(self):
        return [self[name] for name in self.PLACEMENTS]

    def learning_fields(self):
        return [self[name] for name in self.LEARNING]


class ProductListForm(forms.Form):
    """A list of the store's products, one per line (or separated by commas): each by its SKU,
    the store's own id or ours. Every name that is not a product of this store is said."""

    products = forms.CharField(
        required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text="One per line: its SKU, your product id or ours, in the order to show them.")

    def __init__(self, *args, kind_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].label = kind_label

    def clean_products(self) -> list[int]:
        names = list(dict.fromkeys(
            n.strip() for n in _SEPARATORS.split(self.cleaned_data["products"]) if n.strip()))
        if len(names) > MAX_PRODUCTS:
            raise forms.ValidationError(f"At most {MAX_PRODUCTS} products ({len(names)} given).")
        if not names:
            return []
        digits = [int(n) for n in names if n.isdigit() and len(n) < 19]
        rows = list(Product.objects.filter(
            Q(sku__in=names) | Q(external_id__in=names) | Q(pk__in=digits))
            .values_list("pk", "sku", "external_id"))
        by_name: dict[str, int] = {}
        for pk, sku, external_id in sorted(rows):  # ours (the id) last: a SKU or their id wins
            by_name.setdefault(sku, pk)
            by_name.setdefault(external_id, pk)
        for pk, _, _ in rows:
            by_name.setdefault(str(pk), pk)
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise forms.ValidationError([f"No product “{n[:100]}” in this store (its SKU, your "
                                         "id or ours)." for n in unknown[:20]])
        return list(dict.fromkeys(by_name[n] for n in names))


class CategoryRulesForm(forms.Form):
    """Category rules, one per line: "Tents: Sleeping bags, Stoves". A category no product of
    the store has is said (a typo would otherwise never match)."""

    rules = forms.CharField(
        required=False, max_length=20_000, label="Category rules",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text="One per line: a category, a colon, then the categories to show after a "
                  "purchase in it, in order. For example <code>Tents: Sleeping, Cooking</code>.")

    def clean_rules(self) -> dict[str, list[str]]:
        lines = [(number, line.strip()) for number, line
                 in enumerate(self.cleaned_data["rules"].splitlines(), start=1) if line.strip()]
        if len(lines) > MAX_RULES:
            raise forms.ValidationError(f"At most {MAX_RULES} rules ({len(lines)} given).")
        problems: list[str] = []
        rules: dict[str, list[str]] = {}
        for number, line in lines:
            category, colon, rest = line.partition(":")
            related = [c.strip() for c in rest.split(",") if c.strip()]
            if not colon or not category.strip() or not related:
                problems.append(f"Line {number}: write it as “Category: Other, Another”.")
                continue
            if category.strip() in rules:
                problems.append(f"Line {number}: {category.strip()} has a rule already.")
                continue
            rules[category.strip()] = related
        named = {c for category, related in rules.items() for c in (category, *related)}
        if len(max(named, key=len, default="")) > 100:
            problems.append("A category name is at most 100 characters.")
        known = set(Product.objects.filter(category__in=named).values_list("category", flat=True))
        for name in sorted(named - known):
            problems.append(f"No product is in the category “{name[:100]}”.")
        if problems:
            raise forms.ValidationError(problems[:20])
        return rules

    @staticmethod
    def text_of(rules: dict[str, list[str]]) -> str:
        return "\n".join(f"{category}: {', '.join(related)}" for category, related in rules.items())
