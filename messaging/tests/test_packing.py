"""Rendered e-mail HTML is stored packed (zstd against a frozen dictionary of our own e-mails)
and reads back as the same text; values stored before packing read as they are."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from django.db import connection

from messaging import packing
from messaging.rendering.context import sample_context
from messaging.rendering.defaults import default_email_html
from tenants.context import tenant_scope

from .dispatch_support import make_message, reload

NOW = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


def rendered_default(milestone: str, locale: str) -> str:
    context = sample_context(locale=locale, milestone=milestone)
    context["customer"]["first_name"] = "Zoë"
    return default_email_html(milestone, locale, context)


@pytest.mark.parametrize(("milestone", "locale"), [("delivered", "de"), ("delayed", "fr"),
                                                   ("shipped", "es")])
def test_a_rendered_email_packs_to_a_small_fraction_and_unpacks_to_the_same_text(
        milestone, locale):
    html = rendered_default(milestone, locale)

    packed = packing.pack(html)

    assert packed[:2] == bytes((0xFF, packing.PACK_WITH))
    assert len(packed) < len(html.encode()) / 10
    assert packing.unpack(packed) == html
    assert "Zoë" in packing.unpack(packed)


def test_empty_text_stays_empty_and_unpacked_values_read_as_they_are():
    assert packing.pack("") == b""
    assert packing.unpack(b"") == ""
    assert packing.unpack("<p>Grüße</p>".encode()) == "<p>Grüße</p>"
    assert packing.unpack(memoryview(b"<p>x</p>")) == "<p>x</p>"


def test_a_value_that_cannot_be_unpacked_says_why():
    packed = packing.pack("<p>Hello Sam, your parcel is on its way.</p>" * 20)

    with pytest.raises(packing.PackingError, match="unknown packing dictionary 200"):
        packing.unpack(bytes((0xFF, 200)) + packed[2:])
    damaged = bytearray(packed)
    damaged[len(damaged) // 2] ^= 0x55
    with pytest.raises(packing.PackingError, match="could not be unpacked"):
        packing.unpack(bytes(damaged))
    with pytest.raises(packing.PackingError, match="without its dictionary id"):
        packing.unpack(b"\xff")


def test_every_dictionary_is_the_one_rows_were_packed_with():
    """Stored rows name their dictionary: a committed dictionary never changes."""
    assert packing.PACK_WITH in packing.DICTIONARIES
    for dictionary_id, digest in packing.DICTIONARIES.items():
        assert hashlib.sha256(packing.dictionary_read(dictionary_id)).hexdigest() == digest


@pytest.mark.django_db
def test_a_message_stores_its_html_packed_and_reads_it_back(personas):
    html = rendered_default("shipped", "en")
    message = make_message(personas.tenant_a, due_at=NOW, html_body=html)

    assert reload(message).html_body == html
    with tenant_scope(personas.tenant_a), connection.cursor() as cursor:
        cursor.execute("SELECT html_body FROM messaging_message WHERE id = %s", [message.pk])
        stored = bytes(cursor.fetchone()[0])
    assert stored[0] == 0xFF and len(stored) < 2000
    assert packing.unpack(stored) == html


@pytest.mark.django_db
def test_a_value_stored_before_packing_reads_as_its_text(personas):
    message = make_message(personas.tenant_a, due_at=NOW)
    with tenant_scope(personas.tenant_a), connection.cursor() as cursor:
        cursor.execute("UPDATE messaging_message SET html_body = convert_to(%s, 'UTF8') "
                       "WHERE id = %s", ["<p>Stored before packing: Grüße</p>", message.pk])

    assert reload(message).html_body == "<p>Stored before packing: Grüße</p>"
