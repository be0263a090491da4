"""What one render of a tenant's template may cost, and the checks that hold it there.

A tenant's template is code we run in a Celery worker or a web request, where a thread cannot
be stopped from outside. So nothing here interrupts a render: every operation that could grow
a value or the work without bound checks the cost of its result *before* making it, and a
budget per render counts what is left (loops, calls, filters) and the time.

    source ─▶ parse ─▶ guard(tree): `for` loops iterate through loop_items (counted),
        │              `~` through joined, [..] (..) {..} literals through sized
        ▼              (intercepted operators and calls are never folded at compile time)
    compiled ─▶ render under a Budget (one per message: headers, HTML and text together)
                  ├─ `*` `**` `+` `%`, str.format, |center |indent |replace |join |format …
                  │    estimate the size of their result first (binop, format_check, PRECHECKS)
                  ├─ every filter, call and loop item is a step: at most MAX_STEPS, and the
                  │    thread's CPU time checked at each one (TIME_LIMIT)
                  ├─ every {{ … }} adds what it writes to the render's total (written)
                  └─ every buffer is joined by concat, which sums the lengths first

Sizes are weights: a string's length, a list's items plus their own weights (a list holding
the same list twice counts it twice: that is what printing or comparing it costs), a number's
digits. Exceeding any limit raises TemplateTooCostly, a TemplateError saying which operation
would have made how much: the save or preview shows it with its line, a message fails with it.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from string import Formatter
from typing import Any

from jinja2 import nodes, pass_eval_context
from jinja2.exceptions import TemplateRuntimeError
from jinja2.nodes import EvalContext
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

MAX_SOURCE = 100_000  # characters in one field of a template (subject, body, …)
MAX_LENGTH = 1_000_000  # weight of any value a render makes; characters of a rendered part
MAX_DIGITS = 1_000  # digits of a number a render makes
MAX_INT_BITS = 3_322  # MAX_DIGITS in bits (log2(10) ≈ 3.3219)
MAX_STEPS = 100_000  # loop iterations, calls and filters in one render
MAX_FORMAT_WIDTH = 10_000_000  # a width beyond this is refused before its digits are read
# CPU seconds of the rendering thread for one render (every part of one message together).
# CPU, not wall-clock, time: on a busy machine a worker waits for the processor, and waiting is
# no fault of the template (a wall-clock limit failed a default e-mail under load, bench/faults.py).
TIME_LIMIT = 1.0


class TemplateTooCostly(TemplateRuntimeError):
    """A template asked for more work or memory than one message may take."""


def _too_costly(what: str) -> TemplateTooCostly:
    return TemplateTooCostly(f"The template would take too much work to render: {what}.")


class Budget:
    """One render's running costs (see the module docstring)."""

    __slots__ = ("deadline", "seconds", "steps", "sure_until", "weights", "written")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        # The wall clock first: the thread's CPU time cannot grow faster than it, so until
        # `sure_until` the budget cannot be spent, whatever the CPU clock would say.
        wall = time.perf_counter()
        self.deadline = time.thread_time() + seconds
        self.sure_until = wall + seconds
        self.steps = 0
        self.written = 0
        # id → (value, weight): values made earlier in this render (kept alive here, so an id
        # is never reused), which makes weighing a list of lists linear in what was built.
        self.weights: dict[int, tuple[Any, int]] = {}

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _too_costly(f"more than {MAX_STEPS:,} loop iterations, calls and filters")
        # The thread's CPU clock is a system call (0.7 µs here; the wall clock is read in
        # user space, 0.06 µs), and a default e-mail takes about fifteen steps: read only once
        # the wall clock says the budget could be spent, which a normal render never reaches
        # (render_message 116 → 105 µs a message). The same step fails as when it was read at
        # every step.
        wall = time.perf_counter()
        if wall >= self.sure_until:
            left = self.deadline - time.thread_time()
            if left < 0:
                raise _too_costly(f"rendering took more than {self.seconds:g} s of processor "
                                  "time")
            self.sure_until = wall + left


_budget: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


class budget:
    """`with budget():` a render's costs are counted against a new Budget, or against the one
    already open (a message's parts share one). `fresh`: a new one whatever is open (a compile,
    which must not spend the render's time nor fail it because the first compile was slow)."""

    __slots__ = ("token",)

    def __init__(self, seconds: float = TIME_LIMIT, *, fresh: bool = False) -> None:
        self.token = (_budget.set(Budget(seconds)) if fresh or _budget.get() is None
                      else None)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        if self.token is not None:
            _budget.reset(self.token)


def _current() -> Budget:
    current = _budget.get()
    if current is None:  # fail closed: a render that skipped its budget would be unbounded
        raise RuntimeError("a tenant template ran outside messaging.rendering.limits.budget()")
    return current


def step() -> None:
    _current().step()


# --- sizes ---------------------------------------------------------------------------------

_CONTAINERS = (list, tuple, dict, set, frozenset)


def weight(value: Any) -> int:
    """The size of `value` as printing, comparing or hashing it would walk it."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 3 + 1
    if not isinstance(value, _CONTAINERS):
        return 1
    current = _budget.get()
    memo = current.weights if current is not None else {}
    known = memo.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    items: Iterable[Any] = value.items() if isinstance(value, dict) else value
    total = len(value)
    for item in items:
        total += weight(item)
    memo[id(value)] = (value, total)
    return total


def check_size(size: int, what: str) -> None:
    if size > MAX_LENGTH:
        raise _too_costly(f"{what} would make a value of {_count(size)} characters or items "
                          f"(at most {MAX_LENGTH:,})")


def sized(value: Any, what: str = "a list or dict") -> Any:
    """`value`, once its weight is known to be within MAX_LENGTH."""
    check_size(weight(value), what)
    return value


def _count(size: int) -> str:
    return f"{size:,}" if size < 10**15 else "more than 10¹⁵"


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def binop(operator: str, left: Any, right: Any) -> None:
    """Refuse `left <operator> right` when its result would be too big (before computing it)."""
    if operator == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            # Any base of 2 or more makes at least `right` bits: past the limit, no float needed.
            bits = right if right > MAX_INT_BITS else math.log2(abs(left)) * right
            if bits > MAX_INT_BITS:
                raise _too_costly(f"`**` would make a number of at least {_count(int(bits * 0.30103))} "
                                  f"digits (at most {MAX_DIGITS:,})")
    elif operator == "*":
        if _is_int(left) and _is_int(right):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                raise _too_costly(f"`*` would make a number of more than {MAX_DIGITS:,} digits")
        elif _is_int(right) and isinstance(left, str | list | tuple):
            check_size(weight(left) * right, "`*`")
        elif _is_int(left) and isinstance(right, str | list | tuple):
            check_size(weight(right) * left, "`*`")
    elif operator == "+":
        if (isinstance(left, str) and isinstance(right, str)) or (
                isinstance(left, list | tuple) and isinstance(right, list | tuple)):
            check_size(weight(left) + weight(right), "`+`")
    elif operator == "%" and isinstance(left, str):
        printf_check(left, right)


# --- formatting ----------------------------------------------------------------------------

_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.S)
_DIGITS = re.compile(r"\d+")


def _width(digits: str) -> int:
    width = int(digits) if len(digits) <= 8 else MAX_FORMAT_WIDTH + 1  # no 5,000-digit int()
    if width > MAX_FORMAT_WIDTH:
        shown = digits if len(digits) <= 12 else f"{digits[:12]}…"
        raise _too_costly(f"a format width or precision of {shown} (at most {MAX_FORMAT_WIDTH:,})")
    return width


def _biggest(values: Iterable[Any]) -> int:
    return max((weight(value) for value in values), default=0)


def printf_check(template: str, values: Any) -> None:
    """`template % values` (and |format): each field costs its width or precision and at most
    the biggest value; `*` widths (taken from the values) are refused."""
    if isinstance(values, dict):
        biggest = _biggest(values.values())
    elif isinstance(values, tuple):
        biggest = _biggest(values)
    else:
        biggest = weight(values)
    total = len(template)
    for match in _PRINTF.finditer(template):
        width, precision, kind = match.group(1) or "", match.group(2) or "", match.group(3)
        if kind == "%":
            continue
        if width == "*" or precision == "*":
            raise _too_costly("a `*` width in a format (write the width as a number)")
        total += (_width(width) if width else 0) + (_width(precision) if precision else 0)
        total += biggest
    check_size(total, "formatting")


def format_check(template: str, args: tuple, kwargs: dict) -> None:
    """`template.format(*args, **kwargs)` (and format_map): as printf_check, per `{…}` field."""
    biggest = max(_biggest(args), _biggest(kwargs.values()))
    total = len(template)
    for _literal, field, spec, _conversion in Formatter().parse(template):
        if field is None:
            continue
        if spec and "{" in spec:
            raise _too_costly("a field inside a format spec (write the width as a number)")
        total += sum(_width(digits) for digits in _DIGITS.findall(spec or "")) + biggest
    check_size(total, "format()")


# --- filters -------------------------------------------------------------------------------

def _center(value: Any, width: Any = 80, *args: Any, **kwargs: Any) -> Any:
    if _is_int(width):
        check_size(width, "|center")
    return value


def _indent(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> Any:
    text = str(value)
    added = width if _is_int(width) else len(str(width))
    check_size(len(text) + (text.count("\n") + 1) * max(added, 0), "|indent")
    return value


def _wordwrap(value: Any, width: Any = 79, break_long_words: bool = True,
              wrapstring: Any = None, *args: Any, **kwargs: Any) -> Any:
    text = str(value)
    lines = len(text) // max(width, 1) + 1 if _is_int(width) else 1
    check_size(len(text) + lines * len(str(wrapstring or "\n")), "|wordwrap")
    return value


def _replace(value: Any, old: Any = "", new: Any = "", count: Any = None,
             *args: Any, **kwargs: Any) -> Any:
    text, old, new = str(value), str(old), str(new)
    found = text.count(old)
    if _is_int(count) and count >= 0:
        found = min(found, count)
    check_size(len(text) + found * max(len(new) - len(old), 0), "replace")
    return value


def _join(value: Any, d: Any = "", *args: Any, **kwargs: Any) -> list:
    items = list(value)  # iterated once here, then joined from the list
    check_size(sum(weight(item) for item in items) + len(items) * len(str(d)), "join")
    return items


def _sum(value: Any, *args: Any, start: Any = 0, **kwargs: Any) -> list:
    items = list(value)
    if len(args) >= 2:
        start = args[1]
    if not isinstance(start, int | float):
        # Each addition copies what came before: count that, not only the result.
        check_size((weight(start) + sum(weight(item) for item in items)) * max(len(items), 1),
                   "|sum")
    return items


def _format(value: Any, *args: Any, **kwargs: Any) -> Any:
    printf_check(str(value), kwargs or args)
    return value


def _count_limited(name: str) -> Any:
    def check(value: Any, count: Any = None, *args: Any, **kwargs: Any) -> Any:
        if _is_int(count):
            check_size(count, f"|{name}")
        return value
    return check


# Filters whose result can outgrow their input by a factor the template chooses (a width, a
# count, a separator): checked before they run. Each returns the value to filter (a one-shot
# iterable comes back as the list it was read into).
PRECHECKS: dict[str, Any] = {
    "center": _center, "indent": _indent, "wordwrap": _wordwrap, "replace": _replace,
    "join": _join, "sum": _sum, "format": _format,
    "batch": _count_limited("batch"), "slice": _count_limited("slice"),
}


def limited_filter(name: str, function: Any) -> Any:
    """`function` (a filter) counted as a step, pre-checked when it is in PRECHECKS, and with
    its result sized. Keeps Jinja's pass_context/… marks (functools.wraps copies them), so
    constant folding and argument passing stay as they were; folding runs inside the compile's
    budget (environment.py)."""
    from functools import wraps

    precheck = PRECHECKS.get(name)

    @wraps(function)
    def filtered(*args: Any, **kwargs: Any) -> Any:
        step()
        if precheck is not None:
            skip = 1 if args and _is_passed(args[0]) else 0
            value = precheck(*args[skip:], **kwargs)
            args = (*args[:skip], value, *args[skip + 1:])
        return sized(function(*args, **kwargs), f"|{name}")

    return filtered


def _is_passed(value: Any) -> bool:
    from jinja2 import Environment
    from jinja2.runtime import Context

    return isinstance(value, Context | EvalContext | Environment)


# --- the sandbox's hooks (environment.py attaches them) ------------------------------------

def loop_items(iterable: Any) -> Iterator[Any]:
    """A `for` loop's items, each a step."""
    current = _current()
    for item in iterable:
        current.step()
        yield item


@pass_eval_context
def joined(eval_ctx: EvalContext, *parts: Any) -> str:
    """`a ~ b ~ c`, as Jinja joins it (Markup when autoescaping and a part is Markup), with the
    total length checked before joining."""
    texts = [part if isinstance(part, str) else str(part) for part in parts]
    check_size(sum(map(len, texts)), "`~`")
    if eval_ctx.autoescape and any(isinstance(text, Markup) for text in texts):
        return Markup("").join(texts)
    return "".join(texts)


def written(value: Any) -> Any:
    """Every {{ … }} (Jinja's `finalize`): what it writes counts against the render's total,
    including text captured by {% set %} or a macro and never shown."""
    current = _current()
    current.written += len(value) if isinstance(value, str) else weight(value)
    if current.written > MAX_LENGTH:
        raise _too_costly(f"the template writes more than {MAX_LENGTH:,} characters")
    return value


def concat(parts: Iterable[str]) -> str:
    """Jinja's join of a render's or a block's output, with the total checked first."""
    chunks = parts if isinstance(parts, list) else list(parts)
    total = sum(map(len, chunks))
    if total > MAX_LENGTH:
        raise _too_costly(f"the template would write {_count(total)} characters "
                          f"(at most {MAX_LENGTH:,})")
    return "".join(chunks)


class _Guard(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        if not _hooked(node.iter, "loop_items"):
            node.iter = _hook("loop_items", [node.iter], node.iter.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _hook("joined", list(node.nodes), node.lineno)

    def visit_List(self, node: nodes.List) -> nodes.Node:
        return self._sized(node)

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        return self._sized(node)

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        if node.ctx != "load":  # an assignment's target: {% for a, b in … %}
            return self.generic_visit(node)
        return self._sized(node)

    def _sized(self, node: nodes.Expr) -> nodes.Node:
        self.generic_visit(node)
        return _hook("sized", [node], node.lineno)


def _hook(name: str, args: list[Any], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name, lineno=lineno), args, [], None, None,
                      lineno=lineno)


def _hooked(node: nodes.Node, name: str) -> bool:
    return (isinstance(node, nodes.Call) and isinstance(node.node, nodes.EnvironmentAttribute)
            and node.node.name == name)


def guard(tree: nodes.Template) -> nodes.Template:
    """Rewrite a parsed template in place so its loops, `~` and literals are counted and sized
    (nodes made here are Jinja's public node types, compiled like any others)."""
    _Guard().visit(tree)
    return tree
