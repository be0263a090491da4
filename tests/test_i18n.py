"""config.i18n: words and language-dependent results remembered per process and language,
and forgotten when Django forgets its catalogues (a test changing the languages or the
locale paths must not get what an earlier setting made)."""

from __future__ import annotations

from django.test import override_settings
from django.utils import translation

from config import i18n


def test_a_per_language_result_is_made_once_per_language_and_forgotten_with_the_catalogues():
    made: list[tuple[str, int]] = []

    @i18n.per_language(maxsize=8)
    def label(lang: str, number: int) -> str:
        made.append((lang, number))
        return f"{lang}:{number}"

    assert [label("de", 1), label("de", 1), label("fr", 1), label("de", 2)] == [
        "de:1", "de:1", "fr:1", "de:2"]
    assert made == [("de", 1), ("fr", 1), ("de", 2)]
    with override_settings(LOCALE_PATHS=[]):  # Django forgets its catalogues; so do we
        assert label("de", 1) == "de:1"
    assert made[3:] == [("de", 1)]
    assert label("de", 1) == "de:1"  # forgotten again when the setting is restored
    assert made[3:] == [("de", 1), ("de", 1)]


def test_a_per_language_memo_stays_bounded():
    made: list[int] = []

    @i18n.per_language(maxsize=3)
    def double(lang: str, number: int) -> int:
        made.append(number)
        return number * 2

    assert [double("en", n) for n in (1, 2, 3, 1, 2, 3)] == [2, 4, 6, 2, 4, 6]
    assert made == [1, 2, 3]
    assert double("en", 4) == 8  # the fourth: it starts again
    assert double("en", 1) == 2
    assert made == [1, 2, 3, 4, 1]


def test_words_follow_the_active_language():
    with translation.override("de"):
        assert i18n.gettext("Delivered") == "Zugestellt"
        assert i18n.pgettext("a day and a time", "%(day)s, %(time)s") == translation.pgettext(
            "a day and a time", "%(day)s, %(time)s")
    with translation.override("en"):
        assert i18n.gettext("Delivered") == "Delivered"
