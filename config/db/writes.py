"""Writes of one tenant's rows, many in one statement.

    rows_insert   INSERT INTO t (a, b, …) SELECT * FROM unnest(%b::a[], %b::b[], …)
                      ON CONFLICT … DO NOTHING [RETURNING …]      one array per column
    rows_update   UPDATE t SET a = v.a, … FROM unnest(…) AS v(id, tenant_id, a, …)
                      WHERE t.id = ANY(%b) AND t.id = v.id AND t.tenant_id = v.tenant_id
    row_insert    INSERT … VALUES (…) RETURNING id             one short statement

Every write names its tenant, and a row of another tenant (or of a table without one) is
refused before the statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Field, Model

from .statements import array_type, execute, has_tenant, quote


def rows_insert(model: type[Model], tenant_id: int, objs: Sequence[Model], *,
                conflict: str = "", returning: str = "") -> list[tuple]:
    """INSERT new rows of tenant `tenant_id` (auto_now fields and defaults as a save would set
    them), skipping the ones a unique constraint already holds; `conflict` names the
    constraint's columns (e.g. "tenant_id, dedup_key"; empty: any constraint). With
    `returning` (a column list), the rows this call inserted. Rows sharing a unique key should
    come sorted by it: a concurrent batch then waits before it holds anything this one needs.
    A row of another tenant (or none) is refused before anything is written."""
    if not objs:
        return []
    _check_tenant("rows_insert", model, tenant_id, objs)
    fields = _fields(model)
    for obj in objs:
        for field in fields:
            setattr(obj, field.attname, field.pre_save(obj, add=True))
    columns = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%b::{array_type(f)}[]" for f in fields)
    target = f"({conflict}) " if conflict else ""
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
           f"SELECT * FROM unnest({arrays}) ON CONFLICT {target}DO NOTHING"
           + (f" RETURNING {returning}" if returning else ""))
    conn = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one per value
    params = [[f.get_db_prep_save(getattr(obj, f.attname), conn) for obj in objs]
              for f in fields]
    return execute(sql, params)


def row_insert(tenant_id: int, obj: Model) -> Model:
    """INSERT one row of tenant `tenant_id` and set its primary key: one short statement (the
    ORM's `create` spent three times the round trip building it). No signals are sent: for
    models with none. A row of another tenant (or none) is refused."""
    model = type(obj)
    _check_tenant("row_insert", model, tenant_id, (obj,))
    fields = _fields(model)
    conn = connections[DEFAULT_DB_ALIAS]
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
           f"({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(model._meta.pk.column)}")
    values = [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]
    obj.pk = execute(sql, values)[0][0]
    saved([obj])
    return obj


def saved(objs: Iterable[Model]) -> None:
    """Mark instances written here as saved, as the ORM's own writes do: `Model._state`'s
    `adding` and `db`, the two attributes Django documents for this (the `from_db` example of
    its model reference)."""
    for obj in objs:
        obj._state.adding, obj._state.db = False, DEFAULT_DB_ALIAS


def rows_update(model: type[Model], tenant_id: int, objs: Sequence[Model],
                field_names: Sequence[str]) -> None:
    """Write `field_names` of each row from its instance, in one statement (rows of one
    tenant, which the caller has locked or owns): the rows are found by primary key, the
    tenant checked in the join, and a row of another tenant is refused first."""
    if not objs:
        return
    _check_tenant("rows_update", model, tenant_id, objs)
    conn = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one per value
    key = (model, tuple(field_names))
    if key not in _UPDATES:
        _UPDATES[key] = _update_sql(model, field_names)
    sql, fields = _UPDATES[key]
    ids = [obj.pk for obj in objs]
    params: list = [ids, [tenant_id] * len(ids)]
    for field in fields:
        attname, prep, as_is = field.attname, field.get_db_prep_save, AS_IS.get(type(field))
        values = [getattr(obj, attname) for obj in objs]
        params.append([value if type(value) is as_is else prep(value, conn)
                       for value in values])
    execute(sql, [*params, ids])


_UPDATES: dict[tuple, tuple[str, list[Field]]] = {}  # (model, field names) → statement
# Fields whose get_db_prep_save gives back a value of this exact type unchanged (to_python
# of a str is the str): most of a dispatch batch's thousand calls skipped. Exact classes
# only; not integers, which Django wraps in psycopg's Int4/Int8. Pinned by
# tests/test_db_rows_update.py against Django's own preparation.
AS_IS: dict[type[Field], type] = {
    models.CharField: str, models.TextField: str, models.SlugField: str,
    models.BooleanField: bool,
}


def _update_sql(model: type[Model], field_names: Sequence[str]) -> tuple[str, list[Field]]:
    fields = [cast(Field, model._meta.get_field(name)) for name in field_names]
    arrays = ", ".join(["%b::bigint[]", "%b::bigint[]",
                        *(f"%b::{array_type(f)}[]" for f in fields)])
    aliases = ", ".join(["id", "tenant_id", *(quote(f.column) for f in fields)])
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    # The rows are found by primary key (`t.id = ANY(ids)`, an index scan) and the tenant is
    # checked through the join. With `t.tenant_id = %s` PostgreSQL could take the tenant's
    # index instead: on statistics from before a burst it read all of the tenant's rows into
    # a hash table to update a hundred of them (2 ms of a dispatch batch's 3.5, and growing
    # with the tenant's history).
    sql = (f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608
           f"FROM unnest({arrays}) AS v({aliases}) "
           "WHERE t.id = ANY(%b::bigint[]) AND t.id = v.id AND t.tenant_id = v.tenant_id")
    return sql, fields


def _fields(model: type[Model]) -> list[Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _check_tenant(what: str, model: type[Model], tenant_id: int, objs: Sequence[Model]) -> None:
    """Every write here is one tenant's, named by the caller (as the reads are): a row that
    says otherwise is a bug upstream, refused before the statement. A plain loop over
    attributes (no query): a 250-row ingest batch spends microseconds on it. A table without
    a tenant would need its own, named, function: none is written through this package."""
    if not has_tenant(model):
        raise ValueError(f"{what}: {model.__name__} has no tenant: these writes are per tenant")
    if any(obj.tenant_id != tenant_id for obj in objs):  # type: ignore[attr-defined]
        raise ValueError(f"{what}: every row must belong to tenant {tenant_id}")
