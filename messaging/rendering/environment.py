"""The Jinja2 sandbox tenant templates run in, and its filters.

Two environments, both `ImmutableSandboxedEnvironment` (no attribute starting with `_`, no
mutating method of a list or dict, no unsafe callables):

- `send_env` renders at send time; an unknown variable renders as nothing, so a message about
  an order without a shipment never fails on `{{ shipment.carrier }}`;
- `check_env` renders a sample context at save time with `NamedUndefined`, which fails on
  misuse and names the variable (`order.nubmer` is not defined; did you mean `order.number`?).

Contexts are plain dicts, lists, strings, numbers and dates (see context.py): even a sandbox
escape would find no model with `save()` or a manager to call. Dict keys win over dict methods,
so `{{ order.items }}` would be a key and never `dict.items`.
"""

from __future__ import annotations

import difflib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import StrictUndefined, Undefined, pass_context
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from .locales import MONTHS, WEEKDAYS, money_format


class NamedUndefined(StrictUndefined):
    """Fails on any use and says which name, with a suggestion from the keys nearby."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        name, owner = self._undefined_name, self._undefined_obj
        if self._undefined_hint:
            return self._undefined_hint
        if owner is missing:
            return f"`{name}` is not a variable"
        if isinstance(owner, dict):
            close = difflib.get_close_matches(str(name), [str(key) for key in owner], n=1)
            if close:
                return f"`{name}` is not a field here; did you mean `{close[0]}`?"
            return f"`{name}` is not a field here (fields: {', '.join(sorted(map(str, owner)))})"
        if owner is None:
            return f"`{name}` is read from something empty; wrap it in {{% if … %}}"
        return f"`{name}` is not available on a {type(owner).__name__}"


class SilentUndefined(Undefined):
    """Renders as nothing, and anything read from it is also nothing."""

    def __getattr__(self, name: str) -> SilentUndefined:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key: Any) -> SilentUndefined:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> SilentUndefined:
        return self


class TemplateSandbox(ImmutableSandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        # Keys before methods: a dict key named like a method (items, keys, values) is data.
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        # Refuse at once, whatever the Undefined: a lenient one must never turn an attack into
        # an empty string that looks like it worked.
        raise SecurityError(f"access to attribute {attribute!r} of "
                            f"{type(obj).__name__!r} object is unsafe.")


@pass_context
def date_filter(context: Any, value: Any, style: str = "long") -> str:
    """`{{ estimated_delivery|date }}` → "Friday, 14 March" (in the message's locale);
    styles: long, short ("14 Mar" / "14. März"), weekday ("Friday")."""
    if not isinstance(value, date):
        return "" if value is None or isinstance(value, Undefined) else str(value)
    if isinstance(value, datetime):
        value = value.date()
    locale = context.get("locale") or "en"
    months, weekdays = MONTHS.get(locale, MONTHS["en"]), WEEKDAYS.get(locale, WEEKDAYS["en"])
    weekday, month = weekdays[value.weekday()], months[value.month - 1]
    if style == "weekday":
        return weekday
    if style == "short":
        if locale == "de":
            return f"{value.day}. {month[:3]}"
        return f"{value.day} {month[:3]}"
    if locale == "de":
        return f"{weekday}, {value.day}. {month}"
    if locale in ("fr", "es"):
        joiner = " de " if locale == "es" else " "
        return f"{weekday} {value.day}{joiner}{month}"
    return f"{weekday}, {value.day} {month}"


@pass_context
def money_filter(context: Any, value: Any, currency: str | None = None) -> str:
    """`{{ order.total|money }}` → "€49.90" (en) or "49,90 €" (de, fr, es)."""
    if value is None or isinstance(value, Undefined):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    order = context.get("order") or {}
    code = currency or (order.get("currency") if isinstance(order, dict) else None) or "EUR"
    return money_format(amount, code, context.get("locale") or "en")


def _make(undefined: type[Undefined], *, autoescape: bool) -> TemplateSandbox:
    # Text keeps the newline after a block tag: in a plain-text part it is the layout.
    env = TemplateSandbox(autoescape=autoescape, undefined=undefined, trim_blocks=autoescape,
                          lstrip_blocks=autoescape, keep_trailing_newline=False)
    env.filters["date"] = date_filter
    env.filters["money"] = money_filter
    return env


send_env = _make(SilentUndefined, autoescape=True)
send_text_env = _make(SilentUndefined, autoescape=False)
check_env = _make(NamedUndefined, autoescape=True)
check_text_env = _make(NamedUndefined, autoescape=False)
