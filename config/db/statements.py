"""One statement on Django's connection, its parameters bound by the server."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, cast

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model


def execute(sql: str, params: Sequence[Any] | Mapping[str, Any] = (), *,
            prepare: bool = False) -> list[tuple]:
    """Run one statement and return its rows (none for a statement without a result), on a
    server-side-binding cursor: parameters (a sequence for %s placeholders, a mapping for
    %(name)s ones, handed to psycopg as they are) travel apart from the SQL, arrays in binary
    (Django's client-side cursor quoted 4 MB of rendered HTML into the statement in Python,
    character by character). Through Django's cursor wrapper, in the caller's transaction:
    execute wrappers and the tests' query counts see it.

    `prepare`: a named prepared statement on this connection, parsed and planned once
    (psycopg's `execute(prepare=True)`; reads.py says which statements may), unless Django
    logs queries (DEBUG, a test capturing them): psycopg keeps the text of a statement it
    did not prepare only, which is what Django's log shows."""
    conn = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one per attribute
    conn.ensure_connection()
    logged = conn.queries_logged
    if prepare and not logged:
        if conn.connection.prepare_threshold is None:
            # Django turns psycopg's automatic preparation off (for poolers); switched back
            # on for the statements asked to prepare only: the threshold is never reached.
            conn.connection.prepare_threshold = _NEVER
        raw = _preparing_cursor()(conn.connection)
    else:
        raw = psycopg.Cursor(conn.connection)
    wrapped = cast(Any, raw)  # Django's wrappers take any DB-API cursor (stubs: its own)
    cursor = conn.make_debug_cursor(wrapped) if logged else conn.make_cursor(wrapped)
    with cursor:
        cursor.execute(sql, params)  # through Django's wrapper: execute wrappers, query log
        # The rows straight from psycopg's cursor, under Django's error wrapping: `description`
        # builds a Column per column on every call, and the wrapper wraps every attribute.
        result = raw.pgresult
        if result is None or result.status != psycopg.pq.ExecStatus.TUPLES_OK:
            return []
        with conn.wrap_database_errors:
            return raw.fetchall()


_NEVER = 2**31


@functools.cache
def _preparing_cursor() -> type[psycopg.Cursor]:
    class PreparingCursor(psycopg.Cursor):
        """A cursor whose statements are prepared: Django's cursor wrapper calls
        execute(sql, params) and cannot pass psycopg's `prepare=`."""

        def execute(self, query, params=None, *, prepare=None, binary=None):  # type: ignore[override]
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor


def array_type(field: Field) -> str:
    """The column's base type, for an array parameter (varchar(n)[] would cut silently)."""
    base = (field.db_type(connection) or "text").split("(")[0]
    return {"varchar": "text", "serial": "integer", "bigserial": "bigint"}.get(base, base)


def quote(name: str | None) -> str:
    """A table or column name of a model (never None for the concrete fields used here)."""
    return connection.ops.quote_name(cast(str, name))


@functools.cache
def has_tenant(model: type[Model]) -> bool:
    return any(f.attname == "tenant_id" for f in model._meta.concrete_fields)
