"""The shopper pages' own words (templates/jinja2/tracking/public/, config/jinja.py) are in
every catalogue, and where Django's `makemessages` finds them: a string the catalogues lost
would show in English on a German page without any error. And the engine reads the pages'
context (dicts) as Django's templates did."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.utils.translation import templatize

from config.jinja import ENGINE

TEMPLATES = sorted((Path(settings.BASE_DIR) / "templates" / "jinja2").rglob("*.html"))
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


class _Missing(gettext.NullTranslations):
    """A catalogue's fallback: records what the catalogue did not have."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def gettext(self, message: str) -> str:
        self.asked.append(message)
        return message


def _words(path: Path) -> list[str]:
    env = engines[ENGINE].env  # type: ignore[attr-defined]
    return [message for _line, _function, message in env.extract_translations(path.read_text())]


def test_the_shopper_templates_have_words_to_check():
    assert len(TEMPLATES) >= 7
    assert "Tracking history" in _words(next(p for p in TEMPLATES if p.name == "_timeline.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_makemessages_finds_every_word_of_a_shopper_template(path):
    found = templatize(path.read_text(), origin=str(path))
    assert [word for word in _words(path) if f'_("{word}")' not in found] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_word_of_the_shopper_templates_is_translated(lang):
    mo = Path(settings.BASE_DIR) / "locale" / lang / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as file:
        catalogue = gettext.GNUTranslations(file)
    missing = _Missing()
    catalogue.add_fallback(missing)
    for path in TEMPLATES:
        for word in _words(path):
            catalogue.gettext(word)
    assert missing.asked == []


def test_the_shopper_engine_reads_a_dicts_key_before_its_attributes_as_django_does():
    env = engines[ENGINE].env  # type: ignore[attr-defined]
    page = env.from_string("{{ order.items }} {{ order.number }} {{ order.missing }}|{{ step.upper() }}")
    assert page.render(order={"items": "two parcels", "number": "#1001"}, step="x") == \
        "two parcels #1001 |X"
