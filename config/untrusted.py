"""Untrusted input, read one way, so that no body, header or parameter becomes a 500.

`json_parse`: the API's parser, the carrier adapters, Shopify and the provider callbacks all
load JSON with it, so each failure is refused the same way, with a message a developer can act
on:

    not UTF-8 · not JSON (what, at which line and column) · nested deeper than MAX_DEPTH ·
    a number longer than Python converts (4,300 digits) · a NUL character in a string

NUL is refused because PostgreSQL cannot store it in text or jsonb: accepted at the edge, it
would fail later, in a worker, where nobody can be told. Depth is bounded because everything
downstream that walks a document (serialisers, jsonb, our own code) pays for each level.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

MAX_DEPTH = 64


class JsonError(ValueError):
    """A body that is not acceptable JSON; `message` says why, for the sender."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def json_parse(raw: bytes | str, *, what: str = "The body") -> Any:
    """The parsed document, or JsonError naming the problem (`what` starts the message)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonError(f"{what} is not UTF-8 text.") from None
    _depth_check(raw, what)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonError(
            f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:  # deeper than the check could see coming (a very deep stack)
        raise JsonError(f"{what} is nested more than {MAX_DEPTH} levels deep.") from None
    except ValueError:  # int(): more digits than sys.get_int_max_str_digits()
        raise JsonError(f"{what} has a number longer than {sys.get_int_max_str_digits():,} "
                        "digits.") from None
    # A NUL can only arrive escaped (JSON forbids raw control characters in strings): the
    # cheap test finds candidates, the walk confirms (`\\u0000` is a backslash, not a NUL).
    if "\\u0000" in text and _has_nul(data):
        raise JsonError(f"{what} contains a NUL character (\\u0000), which text fields cannot "
                        "hold.")
    return data


def text_has_nul(*values: str) -> bool:
    """For form bodies and query strings: does any value hold a NUL character?"""
    return any("\x00" in value for value in values)


def digits_int(value: object) -> int | None:
    """The number an id, a timestamp or a length written in ASCII digits stands for; None for
    anything else. `str.isdigit()` is not the test: "²" passes it and int() refuses it."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 30:
        return None
    return int(text)


def _depth_check(raw: bytes, what: str) -> None:
    """Refuse documents nested deeper than MAX_DEPTH before parsing them, at C speed (this
    runs on every webhook): escapes dropped, then everything but brackets and quotes, then
    strings (brackets inside one do not nest), then the innermost pairs, once per level.
    Anything left after MAX_DEPTH rounds is deeper than that, or unbalanced, which the
    parser reports better."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    skeleton = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_SKELETON)
    brackets = _STRING.sub(b"", skeleton)
    for _ in range(MAX_DEPTH):
        brackets, pairs = _INNERMOST.subn(b"", brackets)
        if not brackets or not pairs:
            break
    if not brackets:
        return
    try:
        json.loads(raw)
    except json.JSONDecodeError:
        return  # unbalanced: the parser says where
    except (RecursionError, ValueError):
        pass
    raise JsonError(f"{what} is nested more than {MAX_DEPTH} levels deep.")


_NOT_SKELETON = bytes(set(range(256)) - set(b'[]{}"'))
_STRING = re.compile(rb'"[^"]*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")


def _has_nul(data: Any) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
