"""config.db.internals.timestamps_fast: timestamptz columns are parsed in C, with exactly the values
Django's own loader gives: psycopg's compiled loader for Django's UTC, else one built on
`datetime.fromisoformat` (which falls back to Django's for anything unusual)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def loaders():
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    connection.ensure_connection()
    raw = connection.connection
    ours = raw.adapters.get_loader(1184, 0)  # timestamptz, text

    class Djangos(BaseTzLoader):
        timezone = connection.timezone

    return ours(1184, raw), Djangos(1184, raw), ours


def fast_loader_in(zone):
    """The loader timestamps_fast registers on a connection whose Django time zone is `zone`."""
    from django.db import connections

    from config.db.internals import timestamps_fast

    conn = connections["default"]
    conn.ensure_connection()
    saved = conn.__dict__.get("timezone")
    conn.__dict__["timezone"] = zone
    try:
        timestamps_fast(None, conn)
        return conn.connection.adapters.get_loader(1184, 0)
    finally:
        conn.__dict__["timezone"] = saved
        timestamps_fast(None, conn)


def test_the_connection_reads_timestamps_with_the_fast_loader_and_the_same_values():
    ours, djangos, loader = loaders()
    from psycopg_binary._psycopg import TimestamptzLoader

    # Django's zone is UTC: psycopg's compiled loader does the reading.
    assert loader.__name__ == "NativeTzLoader"
    assert type(ours.load.__self__) is TimestamptzLoader
    for text in (b"2026-03-09 10:30:00.123456+00", b"2026-03-09 10:30:00+00",
                 b"0001-01-01 00:00:00+00", b"2026-03-09 11:30:00+01", b"9999-12-31 23:59:59+00"):
        value = ours.load(text)
        assert value == djangos.load(text), text
        assert value.tzinfo is djangos.load(text).tzinfo, text


def test_values_it_cannot_read_fail_as_djangos_do():
    from psycopg import DataError

    ours, djangos, _ = loaders()
    for text in (b"infinity", b"2026-03-09 10:30:00+00 BC"):
        with pytest.raises(DataError):
            djangos.load(text)
        with pytest.raises(DataError):
            ours.load(text)


def test_a_query_reads_back_what_was_written():
    loaders()
    when = datetime(2026, 3, 9, 10, 30, 0, 123456, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, now() - now()", [when])
        value, _ = cursor.fetchone()
    assert value == when and value.utcoffset().total_seconds() == 0


def test_another_django_time_zone_gets_the_isoformat_loader_with_the_same_values():
    from zoneinfo import ZoneInfo

    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    loaders()
    berlin = ZoneInfo("Europe/Berlin")
    # Django in another zone sets the session to it: the offsets PostgreSQL sends are its own.
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Berlin'")
    try:
        loader = fast_loader_in(berlin)
        assert loader.__name__ == "FastTzLoader"

        class Djangos(BaseTzLoader):
            timezone = berlin

        raw = connection.connection
        for text in (b"2026-03-09 11:30:00.123456+01", b"2026-07-09 12:30:00+02",
                     b"2026-03-09 10:30:00+00"):
            value, expected = loader(1184, raw).load(text), Djangos(1184, raw).load(text)
            assert value == expected and value.tzinfo is expected.tzinfo, text
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
