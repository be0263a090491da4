"""Which language the page speaks: `?lang=`, else the shopper's own locale, else the browser's
Accept-Language, else the shop's default; always one the shop offers (its page settings) and
Doorstep has catalogues for (settings.LANGUAGES). Pure functions: the cached page picks its
language before it knows whether it will touch the database."""

from __future__ import annotations

from django.conf import settings


def known_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_names() -> dict[str, str]:
    return dict(settings.LANGUAGES)


def offered_languages(chosen: list[str] | None) -> list[str]:
    """The shop's choice (page settings), in settings.LANGUAGES order; none chosen: all."""
    known = known_languages()
    return [code for code in known if code in (chosen or ())] or known


def base_language(value: str | None) -> str:
    """ "de-AT", "de_at", "DE" → "de"; anything that is not a language tag → ""."""
    if not value or len(value) > 35:
        return ""
    base = value.strip().replace("_", "-").split("-")[0].lower()
    return base if base.isalpha() and 2 <= len(base) <= 3 else ""


def accept_language_order(header: str) -> list[str]:
    """Base languages of an Accept-Language header, most wanted first (q=0 excluded)."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:500].split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        base = base_language(tag)
        if base and quality > 0:
            wanted.append((-quality, position, base))
    return list(dict.fromkeys(base for _q, _p, base in sorted(wanted)))


def page_language(*, requested: str | None, shopper: str | None, accept_language: str,
                  shop_default: str | None, offered: list[str]) -> str:
    """The first of ?lang=, the shopper's locale, Accept-Language, the shop's default that
    the shop offers; else the first language offered."""
    for candidate in (base_language(requested), base_language(shopper)):
        if candidate in offered:
            return candidate
    for candidate in accept_language_order(accept_language):
        if candidate in offered:
            return candidate
    default = base_language(shop_default)
    return default if default in offered else offered[0]
