"""The Jinja2 environment of the shopper pages (TEMPLATES' "shopper" engine: Django's own
Jinja2 backend, templates in templates/jinja2/).

Why not Django's template language there: the tracking page is rendered on every uncached
view, and Django's engine spent 0.75-1 ms on it (resolving ~130 variables and ~230 nodes
per page), Jinja2 a fifth of that: templates compile to Python once per process.

Words go through Django's gettext catalogues (locale/), in the active language
(`translation.override`): `_`, `gettext`, `ngettext`, `pgettext` are Django's (`_`, `gettext`
and `pgettext` remembered per language: config/i18n.py, a page's ~14 words). Templates
write translatable text as `{{ _("…") }}`, with placeholders filled by the `format` filter
(`{{ _("Contact %(shop)s:")|format(shop=shop_name) }}`), the one form that Django's
`makemessages` also finds in a template, so the catalogues keep these strings. Plurals are
chosen in Python (ngettext) and handed over as text. The result is escaped like any value.
"""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.utils.translation import ngettext, npgettext
from jinja2 import Environment, Undefined

from config.i18n import gettext, pgettext

ENGINE = "shopper"  # its NAME in TEMPLATES: render_to_string(…, using=ENGINE)


class ShopperEnvironment(Environment):
    """Looks a plain dict's key up before its attributes, as Django's templates do. The
    pages' context is dicts: Jinja2 tries the attribute first, which for a dict's key is an
    AttributeError raised and caught, ~170 times a tracking page (a third of its render).
    `getattr` is Jinja2's documented hook for this (its sandbox overrides it too)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def environment(**options) -> Environment:
    # Missing values read as empty, in DEBUG too (the backend would print them otherwise),
    # as they do in Django's templates: a page shows nothing rather than "{{ help.url }}".
    options["undefined"] = Undefined
    options.pop("autoescape", None)  # always on: these pages show what shops and carriers wrote
    env = ShopperEnvironment(extensions=["jinja2.ext.i18n"], autoescape=True, **options)
    env.install_gettext_callables(gettext, ngettext, newstyle=False, pgettext=pgettext,  # type: ignore[attr-defined]
                                  npgettext=npgettext)
    # `_` straight to gettext: the extension's own `_` looks `gettext` up in the context and
    # calls it through the context, two calls for each of a page's ~14 words.
    env.globals["_"] = gettext
    env.filters["linebreaksbr"] = linebreaksbr  # Django's: escapes, then <br> per line break
    return env
