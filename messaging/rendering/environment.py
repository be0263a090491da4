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

from jinja2 import StrictUndefined, Template, Undefined, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from . import limits
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


# What a template may read on a string or a number: methods that copy, pad or encode (ljust,
# center, zfill, expandtabs, translate, encode, to_bytes, from_bytes) grow a value by a factor
# the template chooses; the filters (|center, |indent) do the same work within limits.py's.
SAFE_STR_ATTRIBUTES = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "format", "format_map", "index",
    "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace",
    "istitle", "isupper", "join", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "replace", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "striptags", "swapcase", "title", "unescape", "upper",
})
SAFE_NUMBER_ATTRIBUTES = frozenset({
    "as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator", "imag",
    "is_integer", "numerator", "real",
})
# str methods whose result can outgrow the string by a factor the arguments choose.
_CHECKED_METHODS = {"join": limits.PRECHECKS["join"], "replace": limits.PRECHECKS["replace"]}


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with the limits of limits.py: the operators that can grow a
    value are intercepted (Jinja then never folds them at compile time either), calls count
    and are sized, every parsed template is guarded (limits.guard) and compiled and rendered
    under a budget."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    # Called by the code limits.guard adds: environment.loop_items(…), joined(…), sized(…).
    loop_items = staticmethod(limits.loop_items)
    joined = staticmethod(limits.joined)
    sized = staticmethod(limits.sized)
    # The one reach past Jinja's documented API: compiled templates join every buffer
    # (a render, a macro, {% set %}…{% endset %}) with `environment.concat`. Pinned by
    # messaging/tests/test_rendering_limits.py (test_jinja_joins_every_buffer_…).
    concat = staticmethod(limits.concat)  # type: ignore[assignment]

    def compile(self, source: Any, name: str | None = None,  # type: ignore[override]
                filename: str | None = None, raw: bool = False, defer_init: bool = False) -> Any:
        if isinstance(source, str):
            source = self.parse(source, name, filename)
        limits.guard(source).set_environment(self)
        # Constant folding runs filters on literals at compile time: they count like a render
        # (its own budget: a version compiled during a message's render is not that render).
        with limits.budget(fresh=True):
            if raw:
                return super().compile(source, name, filename, raw=True, defer_init=defer_init)
            return super().compile(source, name, filename, defer_init=defer_init)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limits.binop(operator, left, right)
        return self.binop_table[operator](left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        limits.step()
        if isinstance(__obj, LoopContext) and args:  # loop(…) in a recursive loop
            args = (limits.loop_items(args[0]), *args[1:])
        else:
            owner = getattr(__obj, "__self__", None)
            check = _CHECKED_METHODS.get(getattr(__obj, "__name__", ""))
            if check is not None and isinstance(owner, str) and args:
                if __obj.__name__ == "join":
                    args = (check(args[0], owner), *args[1:])
                else:
                    check(owner, *args, **kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        return limits.sized(result, f"calling {getattr(__obj, '__name__', 'a function')}")

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, str):
            return attr in SAFE_STR_ATTRIBUTES
        if isinstance(obj, int | float):
            return attr in SAFE_NUMBER_ATTRIBUTES
        return True

    def wrap_str_format(self, value: Any) -> Any:
        formatted = super().wrap_str_format(value)
        if formatted is None:
            return None
        template, is_map = value.__self__, value.__name__ == "format_map"

        def checked(*args: Any, **kwargs: Any) -> str:
            if is_map:
                mapping = args[0] if len(args) == 1 and isinstance(args[0], dict) else {}
                limits.format_check(template, (), mapping)
            else:
                limits.format_check(template, args, kwargs)
            return formatted(*args, **kwargs)

        return checked

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


class BudgetedTemplate(Template):
    """`render()` under a budget (limits.budget); render.py's own render opens one per message."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        with limits.budget():
            return super().render(*args, **kwargs)


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
                          lstrip_blocks=autoescape, keep_trailing_newline=False,
                          finalize=limits.written)
    env.filters["date"] = date_filter
    env.filters["money"] = money_filter
    env.filters = {name: limits.limited_filter(name, function)
                   for name, function in env.filters.items()}
    # lipsum(n) writes n paragraphs of filler: nothing a message needs.
    del env.globals["lipsum"]
    env.template_class = BudgetedTemplate
    return env


send_env = _make(SilentUndefined, autoescape=True)
send_text_env = _make(SilentUndefined, autoescape=False)
check_env = _make(NamedUndefined, autoescape=True)
check_text_env = _make(NamedUndefined, autoescape=False)
