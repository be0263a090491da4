"""Words translated once per process and language, for the pages that say the same few
dozen words on every view (the shopper tracking page says ~30: its template's `_()` and
tracking/public/words.py).

Django's gettext finds the active language (a context-local) and walks the catalogue's
fallbacks on every call, 3-7 µs; here a call is the language and one dict read, ~1-2 µs
(the uncached tracking page: ~100 µs less). The catalogues themselves are read once per
process by Django already; when a test changes the languages or the locale paths, Django
forgets its catalogues and these words are forgotten with them (`setting_changed`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeData

_MAX = 4096  # words of every language; past it (a caller translating data?) start again
# (language, context, message) → its translation; for a lazy word, (language, id) → (the
# word, kept so that its id is never another object's, its translation).
_said: dict[tuple, object] = {}


def gettext(message: str) -> str:
    if isinstance(message, SafeData):  # Django keeps it safe: rare, not remembered
        return translation.gettext(message)
    key = (translation.get_language(), "", message)
    found = _said.get(key)
    if found is None:
        found = _remembered(key, translation.gettext(message))
    return found  # type: ignore[return-value]


def pgettext(context: str, message: str) -> str:
    key = (translation.get_language(), context, message)
    found = _said.get(key)
    if found is None:
        found = _remembered(key, translation.pgettext(context, message))
    return found  # type: ignore[return-value]


def said(word: Promise | str) -> str:
    """`str(word)` for a module's lazy word (gettext_lazy, pgettext_lazy), in the active
    language. Only for words that live as long as the process (module constants)."""
    if not isinstance(word, Promise):
        return word
    key = (translation.get_language(), id(word))
    found = _said.get(key)
    if found is None:
        found = _remembered(key, (word, str(word)))
    return found[1]  # type: ignore[index]


P = ParamSpec("P")
R = TypeVar("R")
_memos: list[dict] = []


def per_language(maxsize: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Remembers what a function of the language makes (its first argument: the active
    language, which the caller passes so that a loop asks for it once): month and day names,
    formatted times, a set of translated labels. Up to `maxsize` results, then it starts
    again; forgotten with the words above."""
    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        memo: dict = {}
        _memos.append(memo)

        @functools.wraps(func)
        def remembered(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return memo[args]
            except KeyError:
                if len(memo) >= maxsize:
                    memo.clear()
                value = memo[args] = func(*args, **kwargs)
                return value
        return remembered
    return decorate


def _remembered(key: tuple, value):
    if len(_said) >= _MAX:
        _said.clear()
        for memo in _memos:
            memo.clear()
    _said[key] = value
    return value


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS",
                   "FORMAT_MODULE_PATH"):
        _said.clear()
        for memo in _memos:
            memo.clear()
