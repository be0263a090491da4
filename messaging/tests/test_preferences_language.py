"""The preferences page /u/… speaks the shopper's language: the message's, else the shopper's,
else the store's; every word on it comes from copy/<locale>.toml, complete in every locale."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from messaging.journeys.triggers import TRIGGERS
from messaging.links import preferences_url
from messaging.models import Suppression
from messaging.rendering.defaults import copy
from messaging.rendering.locales import LOCALES
from tenants.context import tenant_scope

from .callbacks_support import make_customer, make_message
from .language_support import phrases

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def page_phrases(locale: str) -> set[str]:
    words = copy(locale)
    return phrases([*words["preferences"].values(), *words["topics"].values()])


def page_text(client, message) -> str:
    return html.unescape(client.get(urlsplit(preferences_url(message)).path).content.decode())


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_every_word_of_the_page_with_the_same_placeholders(locale):
    english, own = copy("en"), copy(locale)
    assert set(english["topics"]) == set(own["topics"]) >= TRIGGERS
    assert set(english["preferences"]) == set(own["preferences"])
    for key, text in english["preferences"].items():
        assert PLACEHOLDER.findall(text) == PLACEHOLDER.findall(own["preferences"][key]), key


@pytest.mark.django_db
def test_a_german_shopper_reads_the_whole_page_in_german(client, personas):
    tenant = personas.tenant_a
    customer = make_customer(tenant, locale="de")
    message = make_message(tenant, customer=customer, locale="de-DE")
    with tenant_scope(tenant):  # a STOP on the phone shows the note about texts too
        Suppression.objects.create(channel="sms", address=customer.phone,
                                   reason=Suppression.Reason.SMS_STOP)
    page = page_text(client, message)
    assert '<html lang="de">' in page
    for german in ("Deine Benachrichtigungen", "Versendet", "In Zustellung",
                   "Neuigkeiten und Angebote per E-Mail", "Auswahl speichern",
                   "Du hast mit STOP geantwortet", 'aria-label="Zugestellt per SMS"'):
        assert german in page
    english = page_phrases("en") - page_phrases("de")
    assert len(english) > 15
    assert [phrase for phrase in english if phrase in page] == []


@pytest.mark.django_db
def test_without_a_shopper_the_stop_page_is_in_the_messages_language(client, personas):
    message = make_message(personas.tenant_a, recipient="niemand@shopper.test", locale="de")
    page = page_text(client, message)
    assert "Keine Nachrichten mehr an niemand@shopper.test" in page
    assert "Alle Nachrichten abbestellen" in page and "Stop all messages" not in page


@pytest.mark.django_db
def test_a_message_without_a_locale_takes_the_shoppers_then_the_stores(client, personas):
    tenant = personas.tenant_a
    shoppers = make_message(tenant, customer=make_customer(tenant, locale="fr"), locale="")
    assert '<html lang="fr">' in page_text(client, shoppers)
    tenant.default_locale = "es"
    tenant.save(update_fields=["default_locale"])
    stores = make_message(tenant, customer=make_customer(tenant, locale=""), locale="")
    assert '<html lang="es">' in page_text(client, stores)
