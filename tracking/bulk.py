"""Set-based writes for the ingest hot path, in one statement each on PostgreSQL.

Django's `bulk_create` compiles a placeholder per value (250 events × 16 columns took longer to
build than to run) and cannot say which rows a conflict skipped; `bulk_update` builds a CASE
per field and row. Here the rows travel as one array per column:

    INSERT INTO t (a, b, …) SELECT * FROM unnest(%s::a_type[], %s::b_type[], …)
        ON CONFLICT (tenant_id, dedup_key) DO NOTHING RETURNING dedup_key
    UPDATE t SET a = v.a, … FROM unnest(…) AS v(id, a, …) WHERE t.id = v.id AND t.tenant_id = %s

Column lists and types come from the models' own fields, so a new column cannot be missed.
Other databases (the embedded SQLite) take the ORM's path with the same results.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.db.models import Field, Model

from config.db import execute_prepared
from tenants.models import Tenant

from .models import TrackingEvent


def _insert_fields(model: type[Model]) -> list[Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _array_type(field: Field) -> str:
    # Arrays of the column's base type: varchar(n)[] would cast (and cut) silently.
    db_type = field.db_type(connection) or "text"
    base = db_type.split("(")[0]
    return {"varchar": "text", "serial": "int4", "bigserial": "int8"}.get(base, base)


def _columns(fields: Sequence[Field], rows: Sequence[Model], now: datetime) -> list[list]:
    columns = []
    for field in fields:
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            columns.append([now] * len(rows))
            continue
        columns.append([field.get_db_prep_save(getattr(row, field.attname), connection)
                        for row in rows])
    return columns


def events_insert(tenant: Tenant, rows: Sequence[TrackingEvent], now: datetime) -> set[str]:
    """Insert events, skipping dedup keys already stored; returns the keys inserted by this
    call (exact even when the same events race in from another transaction). Rows should be
    sorted by dedup key: a shared key then makes the later batch wait before it holds anything
    the earlier one needs."""
    if not rows:
        return set()
    if connection.vendor != "postgresql":
        return _events_insert_orm(tenant, rows)
    fields = _insert_fields(TrackingEvent)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = ", ".join(f"%s::{_array_type(f)}[]" for f in fields)
    table = connection.ops.quote_name(TrackingEvent._meta.db_table)
    # Identifiers come from the model, values travel as parameters.
    sql = (f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608
           "ON CONFLICT (tenant_id, dedup_key) DO NOTHING RETURNING dedup_key")
    with connection.cursor() as cursor:
        cursor.execute(sql, _columns(fields, rows, now))
        return {key for (key,) in cursor.fetchall()}


def _events_insert_orm(tenant: Tenant, rows: Sequence[TrackingEvent]) -> set[str]:
    keys = [row.dedup_key for row in rows]
    stored = set(TrackingEvent.objects.unscoped(reason="dedup check within the caller's tenant")
                 .filter(tenant=tenant, dedup_key__in=keys).values_list("dedup_key", flat=True))
    new = [row for row in rows if row.dedup_key not in stored]
    TrackingEvent.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return {row.dedup_key for row in new}


def rows_update(model: type[Model], tenant: Tenant, objs: Sequence[Model],
                field_names: Sequence[str]) -> None:
    """Write `field_names` of each row (rows the caller has locked) in one statement."""
    if not objs:
        return
    if connection.vendor != "postgresql" or len(objs) == 1:
        for obj in objs:
            model.objects.unscoped(reason="rows of the caller's tenant, locked by it").filter(
                tenant=tenant, pk=obj.pk).update(**{name: getattr(obj, name) for name in field_names})
        return
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    arrays = ", ".join(["%s::int8[]", *(f"%s::{_array_type(f)}[]" for f in fields)])
    aliases = ", ".join(["id", *(quote(f.column) for f in fields)])
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    sql = (f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608
           f"FROM unnest({arrays}) AS v({aliases}) WHERE t.id = v.id AND t.tenant_id = %s")
    params = [[obj.pk for obj in objs]]
    params += [[f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs]
               for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, tenant.pk])


def row_insert(obj: Model) -> Model:
    """INSERT one row in a statement written out, and set its primary key: the webhook path's
    one write (the ORM's `create` spent three times the round trip building it). No signals
    are sent; the model must have none that matter."""
    model = type(obj)
    fields = _insert_fields(model)
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - names from the model
           f"({', '.join(quote(f.column) for f in fields)}) VALUES ({', '.join(['%s'] * len(fields))}) "
           f"RETURNING {quote(model._meta.pk.column)}")
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    obj.pk = execute_prepared(sql, values)[0][0]
    obj._state.adding, obj._state.db = False, connection.alias
    return obj
