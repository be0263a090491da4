"""A rule's `conditions`: which orders and shipments the rule is *for*.

A condition that does not hold means the rule does not apply (no Message row at all: nobody
was meant to be told). Consent, preferences and the suppression list are not conditions: they
decide whether a shopper the rule *is* for may be told, and leave a `suppressed` row.

    {
      "customer": "any" | "first_time" | "repeat",   first order of this shopper, or not
      "min_order_value": "50.00",                     order total ≥ (inclusive), as a string
      "max_order_value": "500.00",                    order total ≤ (inclusive)
      "categories": ["Tents", …],                     a product in the parcel (else the order)
      "tags": ["2-person", …],                          has one of these category / tags
      "carriers": ["DHL", "UPS", …],                  the shipment's carrier code
      "countries": ["DE", "AT", …],                   the shipping address's country (ISO 3166)
      "marketing_consent": true                       also require marketing consent for the
    }                                                 channel (a consent check: suppressed row)

All keys are optional and combine with AND; lists match any of their items, case-insensitively.
An empty dict applies to everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from config.errors import ValidationFailed
from orders.models import Customer, LineItem, Order
from tracking.models import Shipment, ShipmentItem

CUSTOMER_KINDS = ("any", "first_time", "repeat")
LIST_KEYS = ("categories", "tags", "carriers", "countries")
VALUE_KEYS = ("min_order_value", "max_order_value")
CONDITION_KEYS = frozenset({"customer", "marketing_consent", *LIST_KEYS, *VALUE_KEYS})


def conditions_problems(conditions: Any) -> dict[str, list[str]]:
    """What is wrong with a conditions dict, per key (empty: it is valid). For the API and
    the journey editor, and for the planner, which never guesses at a rule it cannot read."""
    if not isinstance(conditions, Mapping):
        return {"conditions": ["Conditions must be an object."]}
    problems: dict[str, list[str]] = {}
    for key in sorted(set(conditions) - CONDITION_KEYS):
        problems[key] = [f"Unknown condition; use one of {', '.join(sorted(CONDITION_KEYS))}."]
    if conditions.get("customer", "any") not in CUSTOMER_KINDS:
        problems["customer"] = [f"Use one of {', '.join(CUSTOMER_KINDS)}."]
    for key in VALUE_KEYS:
        if key in conditions and _decimal(conditions[key]) is None:
            problems[key] = ["Use an amount such as \"50.00\"."]
    for key in LIST_KEYS:
        value = conditions.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problems[key] = ["Use a list of names."]
    if not isinstance(conditions.get("marketing_consent", False), bool):
        problems["marketing_consent"] = ["Use true or false."]
    return problems


def conditions_clean(conditions: Any) -> dict[str, Any]:
    """The conditions as stored (empty lists and "any" dropped), or ValidationFailed with
    details under `conditions.<key>`."""
    problems = conditions_problems(conditions)
    if problems:
        raise ValidationFailed(details={f"conditions.{k}": v for k, v in problems.items()})
    cleaned: dict[str, Any] = {}
    for key, value in conditions.items():
        if value is None or value is False or value == [] or value == "any":
            continue
        cleaned[key] = str(_decimal(value)) if key in VALUE_KEYS else value
    return cleaned


class Facts:
    """What conditions are checked against, loaded lazily (most rules need none of it)."""

    def __init__(self, *, order: Order | None, shipment: Shipment | None):
        self.order = order
        self.shipment = shipment

    @cached_property
    def customer(self) -> Customer | None:
        return self.order.customer if self.order is not None else None

    @cached_property
    def is_repeat_customer(self) -> bool | None:
        """None when there is no shopper to judge."""
        if self.order is None or self.order.customer_id is None:
            return None
        return (Order.objects.filter(customer_id=self.order.customer_id,
                                     placed_at__lt=self.order.placed_at)
                .exclude(pk=self.order.pk).exists())

    @cached_property
    def products(self) -> list:
        """The products in the parcel when we know its contents, else in the whole order."""
        if self.shipment is not None and self.shipment.pk is not None:
            items = list(ShipmentItem.objects.filter(shipment=self.shipment)
                         .select_related("line_item__product"))
            if items:
                return [i.line_item.product for i in items if i.line_item.product_id]
        if self.order is None:
            return []
        return [line.product for line in
                LineItem.objects.filter(order=self.order).select_related("product")
                if line.product_id]

    @cached_property
    def categories(self) -> set[str]:
        return {p.category.casefold() for p in self.products if p.category}

    @cached_property
    def tags(self) -> set[str]:
        return {str(t).casefold() for p in self.products for t in (p.tags or [])}


def conditions_match(conditions: Mapping[str, Any], facts: Facts) -> bool:
    """Whether the rule is for this order/shipment. Assumes `conditions_problems` is empty.
    A condition about something we do not have (a carrier when there is no shipment yet, the
    order value of a shipment without an order) does not hold: the rule does not apply."""
    kind = conditions.get("customer", "any")
    if kind != "any":
        repeat = facts.is_repeat_customer
        if repeat is None or repeat != (kind == "repeat"):
            return False
    total = facts.order.total if facts.order is not None else None
    if "min_order_value" in conditions and (
            total is None or total < _decimal(conditions["min_order_value"])):
        return False
    if "max_order_value" in conditions and (
            total is None or total > _decimal(conditions["max_order_value"])):
        return False
    carrier = _fold(facts.shipment.carrier) if facts.shipment is not None else None
    if conditions.get("carriers") and carrier not in _folded(conditions["carriers"]):
        return False
    if conditions.get("countries"):
        address = facts.order.shipping_address if facts.order is not None else {}
        country = (address or {}).get("country_code") or ""
        if _fold(country) not in _folded(conditions["countries"]):
            return False
    if conditions.get("categories") and not facts.categories & _folded(conditions["categories"]):
        return False
    return not (conditions.get("tags") and not facts.tags & _folded(conditions["tags"]))


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _fold(text: str) -> str:
    return text.strip().casefold()


def _folded(values: list[str]) -> set[str]:
    return {_fold(v) for v in values}
