"""Recording what happened to messages, many at a time: the status change, a MessageEvent and
a line on the order's timeline per message, in three statements for a whole batch (the
dispatcher's claim, a send task's batch, the sweep).

The rows are written under the caller's transaction; events and timeline lines never say more
than the status does (no address on the timeline: it outlives a shopper's erasure).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from django.db import connection, models

from orders.services.timeline import order_events_record_many
from tenants.models import Tenant

from .models import Message, MessageEvent


@dataclass
class Outcome:
    """One message's new status, the event kind to store and the words for the timeline."""

    message: Message
    status: str
    reason: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def messages_finish(tenant: Tenant, outcomes: list[Outcome], now: datetime) -> None:
    """Final outcomes decided before any provider call (suppressed, failed to render) or by
    the sweep (uncertain): status + reason, an event, a timeline line each."""
    if not outcomes:
        return
    for outcome in outcomes:
        message = outcome.message
        message.status, message.status_reason = outcome.status, outcome.reason[:500]
        message.updated_at = now
    messages_update(tenant, [o.message for o in outcomes],
                    ["status", "status_reason", "updated_at"])
    events_record(tenant, [(o.message, o.kind, {"reason": o.reason, **o.data}) for o in outcomes],
                  now)
    timeline_record(tenant, [(o.message, o.reason, o.kind, f"{o.kind}:{o.message.attempts}")
                             for o in outcomes])


def events_record(tenant: Tenant, entries: list[tuple[Message, str, dict]], now: datetime) -> None:
    """(message, kind, data) → MessageEvent rows from the dispatcher, one INSERT."""
    if entries:
        rows_insert(tenant, MessageEvent, [
            MessageEvent(tenant=tenant, message=message, kind=kind, occurred_at=now,
                         source="dispatcher", data=data)
            for message, kind, data in entries])


def timeline_record(tenant: Tenant, entries: list[tuple[Message, str, str, str]]) -> None:
    """(message, words, kind, dedup suffix) → order timeline lines, one INSERT; the dedup key
    keeps one line per cause when a batch is recorded twice."""
    lines = [{"order_id": message.order_id, "kind": "message",
              "summary": f"{message.get_channel_display()} “{message.milestone}”: {words}",
              "actor": "dispatcher", "data": {"message_id": message.pk, "kind": kind},
              "dedup_key": f"message:{message.pk}:{dedup}"}
             for message, words, kind, dedup in entries if message.order_id]
    if lines:
        order_events_record_many(tenant, lines)


# Array types for `messages_update` by field class (the first match wins: subclasses first).
_ARRAY_TYPES: tuple[tuple[type[models.Field], str], ...] = (
    (models.JSONField, "text[]"),  # sent as JSON text, cast back per row
    (models.ForeignKey, "bigint[]"),
    (models.DateTimeField, "timestamptz[]"),
    (models.BooleanField, "boolean[]"),
    (models.IntegerField, "bigint[]"),
    (models.CharField, "text[]"),
    (models.TextField, "text[]"),
)


def _array_type(model_field: models.Field) -> str:
    return next(t for kind, t in _ARRAY_TYPES if isinstance(model_field, kind))


def _column_values(model_field: models.Field, objs: list[models.Model]) -> list:
    values = [getattr(obj, model_field.attname) for obj in objs]
    if isinstance(model_field, models.JSONField):
        return [json.dumps(value) for value in values]
    return values


def _cast(model_field: models.Field) -> str:
    return "::jsonb" if isinstance(model_field, models.JSONField) else ""


def rows_insert(tenant: Tenant, model: type[models.Model], objs: list[models.Model]) -> None:
    """INSERT many new rows of a tenant-owned model (ids not needed back), skipping rows a
    unique constraint already holds (ON CONFLICT DO NOTHING, as bulk_create(ignore_conflicts)).

    On PostgreSQL one `INSERT … SELECT FROM unnest(<one binary array per column>)`: Django's
    bulk_create renders a placeholder per value and adapts each one in Python, which for a
    batch of 200 rows cost more than the database's work. Elsewhere bulk_create it is."""
    if not objs:
        return
    if any(obj.tenant_id != tenant.pk for obj in objs):
        raise ValueError(f"rows_insert: every row must belong to tenant {tenant.pk}")
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, ignore_conflicts=True)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for obj in objs:
        for model_field in fields:  # auto_now(_add) and other defaults set at save time
            setattr(obj, model_field.attname, model_field.pre_save(obj, add=True))
    columns = [f.column for f in fields]
    select = ", ".join(f"v.{f.column}{_cast(f)}" for f in fields)
    unnest = ", ".join(f"%b::{_array_type(f)}" for f in fields)
    # Only the model's own table and column names are interpolated; every value is a parameter.
    sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
           f"SELECT {select} FROM unnest({unnest}) AS v({', '.join(columns)}) "
           "ON CONFLICT DO NOTHING")
    _execute_binary(sql, [_column_values(f, objs) for f in fields])


def messages_update(tenant: Tenant, messages: list[Message], fields: list[str]) -> None:
    """Write `fields` of many messages from their instances in one statement.

    On PostgreSQL, `UPDATE … FROM unnest(<one array per column>)`: a batch of 200 rendered
    messages costs one short statement with array parameters. Django's `bulk_update` builds a
    `CASE WHEN id = … THEN …` per field and row instead, and resolving and sending those
    expressions took longer than rendering the messages. Elsewhere (SQLite, the embedded
    mode) `bulk_update` it is."""
    if not messages:
        return
    if connection.vendor != "postgresql":
        Message.objects.bulk_update(messages, fields)
        return
    columns, arrays, assignments = ["id"], [[m.pk for m in messages]], []
    types = ["bigint[]"]
    for name in fields:
        model_field = Message._meta.get_field(name)
        assignments.append(f"{model_field.column} = v.{model_field.column}{_cast(model_field)}")
        columns.append(model_field.column)
        arrays.append(_column_values(model_field, messages))
        types.append(_array_type(model_field))
    unnest = ", ".join(f"%b::{t}" for t in types)
    # Only the model's own table and column names are interpolated; every value is a parameter.
    sql = (f"UPDATE {Message._meta.db_table} AS m SET {', '.join(assignments)} "  # noqa: S608
           f"FROM unnest({unnest}) AS v({', '.join(columns)}) "
           "WHERE m.tenant_id = %b AND m.id = v.id")
    _execute_binary(sql, [*arrays, tenant.pk])


def _execute_binary(sql: str, params: list) -> None:
    """Run `sql` with binary parameters on a server-side-binding cursor of Django's own
    connection (so in the same transaction): Django's client-side cursor would quote 4 MB of
    HTML into the statement in Python, character class by character class, which cost more
    than the statement. Wrapped like Django's cursors, so execute wrappers and query logging
    (tests' query counts, the bench's statement counts) see it."""
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    cursor = (connection.make_debug_cursor(raw) if connection.queries_logged
              else connection.make_cursor(raw))
    with cursor:
        cursor.execute(sql, params)
