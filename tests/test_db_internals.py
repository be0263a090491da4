"""What config/db/internals.py relies on in its libraries, pinned: each test fails with the
library's name and what changed when an upgrade moves it (then fall back on the public way
named in the shortcut's docstring). The values read are tests/test_db_timestamps.py's."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

TIMESTAMPTZ = 1184


def _text_loader(adapters):
    from psycopg.pq import Format

    return adapters.get_loader(TIMESTAMPTZ, Format.TEXT)


def test_djangos_cursors_keep_the_connections_timestamptz_loader():
    """timestamps_fast registers its loader on the connection; Django's create_cursor registers
    its own on every cursor unless the connection's loader has Django's `timezone` (the
    attribute of django.db.backends.postgresql.psycopg_any.BaseTzLoader, our base class)."""
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    assert isinstance(getattr(BaseTzLoader, "timezone", None), type(None) | type(UTC)), (
        "Django: psycopg_any.BaseTzLoader has no `timezone` attribute any more; "
        "timestamps_fast subclasses it so that create_cursor keeps the connection's loader")
    with connection.cursor() as cursor:
        loader = _text_loader(cursor.cursor.adapters)
    assert loader.__name__ in ("NativeTzLoader", "FastTzLoader"), (
        f"Django: its cursors read timestamptz with {loader.__module__}.{loader.__name__}, not "
        "the connection's loader (create_cursor changed): timestamps_fast no longer applies")


def test_psycopgs_compiled_loader_is_there_and_its_bound_load_works_alone():
    """NativeTzLoader takes the bound `load` of psycopg_binary's compiled loader (its class
    cannot be subclassed): psycopg[binary] must provide it, and `load` must work on its own."""
    from psycopg import adapters

    native = _text_loader(adapters)
    assert native is not None and native.__module__.startswith(("psycopg_binary", "psycopg_c")), (
        f"psycopg: the default timestamptz loader is {native!r}, not the compiled one "
        "(psycopg[binary] missing or changed): timestamps_fast falls back to Python")
    connection.ensure_connection()
    load = native(TIMESTAMPTZ, connection.connection).load
    value = load(b"2026-03-09 10:30:00.5+00")
    assert (value.isoformat(), value.tzinfo is UTC) == ("2026-03-09T10:30:00.500000+00:00", True), (
        f"psycopg: the compiled loader's bound load gave {value!r}")
