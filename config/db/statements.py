"""One statement on Django's connection, its parameters bound by the server."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model


def execute(sql: str, params: Sequence = (), *, prepare: bool = False) -> list[tuple]:
    """Run one statement and return its rows (none for a statement without a result), on a
    server-side-binding cursor: parameters travel apart from the SQL, arrays in binary
    (Django's client-side cursor quoted 4 MB of rendered HTML into the statement in Python,
    character by character). Through Django's cursor wrapper, in the caller's transaction:
    execute wrappers and the tests' query counts see it. `prepare`: a named prepared
    statement on this connection, parsed and planned once (reads.py says which may)."""
    conn = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one per attribute
    conn.ensure_connection()
    if prepare:
        from .internals import preparing_cursor

        raw = preparing_cursor(conn.connection)
    else:
        raw = psycopg.Cursor(conn.connection)
    cursor = conn.make_debug_cursor(raw) if conn.queries_logged else conn.make_cursor(raw)
    with cursor:
        cursor.execute(sql, params)  # through Django's wrapper: execute wrappers, query log
        # The rows straight from psycopg's cursor, under Django's error wrapping: `description`
        # builds a Column per column on every call, and the wrapper wraps every attribute.
        result = raw.pgresult
        if result is None or result.status != psycopg.pq.ExecStatus.TUPLES_OK:
            return []
        with conn.wrap_database_errors:
            return raw.fetchall()


def array_type(field: Field) -> str:
    """The column's base type, for an array parameter (varchar(n)[] would cut silently)."""
    base = (field.db_type(connection) or "text").split("(")[0]
    return {"varchar": "text", "serial": "integer", "bigserial": "bigint"}.get(base, base)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def has_tenant(model: type[Model]) -> bool:
    return any(f.attname == "tenant_id" for f in model._meta.concrete_fields)
