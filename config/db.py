"""Database helpers below every app.

`execute_prepared` runs one of the few statements that are on the path of every webhook as a
server-side prepared statement: Django binds parameters on the client and PostgreSQL plans each
statement afresh, which took longer than executing them (0.13 ms of planning for a 0.03 ms
lookup). It uses Django's own connection, so it joins the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def execute_prepared(sql: str, params: Sequence) -> list[tuple]:
    """Execute `sql` (with %s placeholders) and return its rows, prepared on PostgreSQL.

    Not seen by Django's execute wrappers (query counting, DEBUG's query log): keep it to
    statements whose cost is measured in bench/ and whose identifiers come from models."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall() if cursor.description else []
