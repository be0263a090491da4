"""Prepared reads: one tenant's rows by value, the statement built once per shape.

    SELECT … FROM t [LEFT JOIN LATERAL (… r.tenant_id = t.tenant_id …) r ON true]
        WHERE t.tenant_id = %s AND t.a = ANY(%s) …

Compiling a filter through the ORM cost more than running it (0.3-0.6 ms each, a dozen a
dispatch batch): here the SQL and the converters of each shape (model, `where` keys,
relations, order, limit, lock) are built once per process from the model's fields; rows by a
list of foreign-key values, and joined rows, are found through one index probe each, whatever
the table's size; statements without a lock are prepared (parsed and planned once per
connection). Rows come back as instances or tuples, as the ORM gives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model

from .statements import array_type, execute, has_tenant, quote

M = TypeVar("M", bound=Model)

# The lookups a hot-path read may use, as `where` keys: "status", "id__in", "due_at__lte".
_OPERATORS = {"exact": "=", "in": "IN", "lte": "<=", "lt": "<", "gte": ">=", "gt": ">"}


def instances_where(model: type[M], tenant_id: int, where: dict, *,
                    related: Sequence[str] = (), order_by: Sequence[str] = (),
                    limit: int | None = None, lock: str = "") -> list[M]:
    """One tenant's rows of `model` matching `where` ({"id__in": ids, "status": "queued"}:
    exact, in, lt(e), gt(e)), as model instances, with `related` forward relations joined
    (the related row must be the same tenant's: a stray foreign key reads as None). An `in`
    list is one array parameter; `lock` ("FOR UPDATE", "FOR UPDATE OF t SKIP LOCKED") locks
    the rows read. The tenant is a required argument: every statement has `tenant_id = %s`."""
    read = _read(model, None, where, related, order_by, limit, lock)
    return cast("list[M]", _built(model, read.own, read.nested, read.rows(tenant_id, where, limit)))


def values_where(model: type[Model], tenant_id: int, columns: Sequence[str], where: dict, *,
                 order_by: Sequence[str] = ()) -> list[tuple]:
    """`instances_where` for a few columns (attnames), as tuples: values_list's rows."""
    read = _read(model, tuple(columns), where, (), order_by, None, "")
    return [tuple(row) for row in read.rows(tenant_id, where, None)]


def _built(model: type[Model], own: list[str], nested: list[tuple], rows) -> list[Model]:
    """Instances from rows of `own` columns then each relation's (`_nested`), as the ORM
    builds them (`Model.from_db`; a related row through its field's cache, as
    select_related sets it)."""
    relations = [cast(Any, model._meta.get_field(name)) for name, *_ in nested]
    out = []
    for row in rows:
        obj = model.from_db(DEFAULT_DB_ALIAS, own, row[:len(own)])
        for relation, (_, rel_model, rel_columns, start, pk_at) in zip(relations, nested,
                                                                       strict=True):
            values = row[start:start + len(rel_columns)]
            relation.set_cached_value(obj, None if values[pk_at] is None
                                      else rel_model.from_db(DEFAULT_DB_ALIAS, rel_columns,
                                                             values))
        out.append(obj)
    return out


def _nested(model: type[Model], related: Sequence[str], start: int) -> list[tuple]:
    """Per forward relation read in the same row: (name, its model, its columns, where they
    start in a row, where its primary key is among them), one after the other from `start`."""
    nested = []
    for name in related:
        rel_model = cast(type[Model], model._meta.get_field(name).related_model)
        rel_columns = [f.attname for f in rel_model._meta.concrete_fields]
        nested.append((name, rel_model, rel_columns, start,
                       rel_columns.index(rel_model._meta.pk.attname)))
        start += len(rel_columns)
    return nested


class _Read:
    """One read's SQL and what turns its rows into Python values, built once per process
    and shape (model, where keys, relations, order, limit, lock) from the model's fields."""

    def __init__(self, model: type[Model], columns: Sequence[str] | None,
                 where: Sequence[str], related: Sequence[str], order_by: Sequence[str],
                 limited: bool, lock: str) -> None:
        opts = model._meta
        if columns is None:
            self.own = [f.attname for f in opts.concrete_fields]
            fields = [(f, "t") for f in opts.concrete_fields]
        else:
            self.own = list(columns)
            fields = [(_field(opts, name), "t") for name in columns]
        # Without a lock: the rows of each value of an `in` list on a foreign
        # key, and each joined row, found through their index, one probe each (LATERAL …
        # OFFSET 0, which the planner cannot turn into a hash join). Its cost model prefers
        # reading a whole table of a few thousand rows to a hundred probes, which here cost
        # several times more, and more as the table grows: the batch sets the work, not the
        # tenant's history.
        probes = not lock
        # A read without a lock is prepared once per connection: planning it again
        # for every batch cost its backend more than running it (a dispatch batch's ten reads:
        # 5 ms of parse and plan for 1.6 ms of execution). Their plans do not depend on the
        # values: index probes, primary keys, or a tenant's few rows of a small table. Not the
        # locking claim (a generic plan for its `due_at <= $n … LIMIT $m` read more rows), nor
        # any write. DATABASE_PREPARED_READS=0 turns it off (a transaction-pooling PgBouncer
        # older than 1.21 cannot keep prepared statements).
        self.prepare = probes
        joins, self.nested = [], _nested(model, related, len(fields))
        for index, name in enumerate(related):
            relation = cast(Field, opts.get_field(name))
            rel_model, alias = cast(type[Model], relation.related_model), f"r{index}"
            fields += [(f, alias) for f in rel_model._meta.concrete_fields]
            # The related row must be the same tenant's: a stray foreign key reads as None.
            match = (f"{alias}.{quote(rel_model._meta.pk.column)} = t.{quote(relation.column)} "
                     f"AND {alias}.tenant_id = t.tenant_id")
            table = quote(rel_model._meta.db_table)
            joins.append(f"LEFT JOIN LATERAL (SELECT * FROM {table} {alias} WHERE {match} "  # noqa: S608
                         f"OFFSET 0) {alias} ON true" if probes
                         else f"LEFT JOIN {table} {alias} ON {match}")
        self.conditions = []  # (field, operator), in `where` order
        for key in where:
            name, _, lookup = key.partition("__")
            self.conditions.append((_field(opts, name), _OPERATORS[lookup or "exact"]))
        # By primary key, `= ANY` is one index scan already (and faster than the probes); a
        # column without an index of its own (after the tenant) is better read in one scan.
        driver = next((i for i, (f, op) in enumerate(self.conditions)
                       if op == "IN" and not f.primary_key and _probe_index(model, f)),
                      None) if probes else None
        self.slots: list = []  # what each %s is: "tenant", a `where` index, "limit"
        clauses = ["t.tenant_id = %s"]
        for index, (field, operator) in enumerate(self.conditions):
            column = f"t.{quote(field.column)}"
            if index == driver:
                clauses.append(f"{column} = k.v")
                continue
            self.slots.append(index)
            if operator != "IN":
                clauses.append(f"{column} {operator} %s")
            else:
                clauses.append(f"{column} = ANY(%s::{array_type(field)}[])")
        order = [f"t.{quote(_field(opts, name.lstrip('-')).column)}"
                 f"{' DESC' if name.startswith('-') else ''}" for name in order_by]
        select = ", ".join(f"{alias}.{quote(field.column)}" for field, alias in fields)
        table = f"{quote(opts.db_table)} t"
        if driver is None:
            self.slots.insert(0, "tenant")
            source = f"{table} " + "".join(f"{join} " for join in joins) + "WHERE " + \
                " AND ".join(clauses)
        else:
            self.slots[:0] = [driver, "tenant"]
            key_type = array_type(self.conditions[driver][0])
            source = (f"unnest(%s::{key_type}[]) AS k(v) CROSS JOIN LATERAL "  # noqa: S608
                      f"(SELECT * FROM {table} WHERE {' AND '.join(clauses)} OFFSET 0) t "
                      + " ".join(joins))
        if limited:
            self.slots.append("limit")
        self.sql = (f"SELECT {select} FROM {source}"  # noqa: S608
                    + (f" ORDER BY {', '.join(order)}" if order else "")
                    + (" LIMIT %s" if limited else "")
                    + (f" {lock}" if lock else ""))
        conn = connections[DEFAULT_DB_ALIAS]
        self.converters = []  # (index, [(converter, expression)]) for columns that have any
        for index, (field, alias) in enumerate(fields):
            expression = field.get_col(alias)
            found = [*conn.ops.get_db_converters(expression),
                     *field.get_db_converters(conn)]
            if found:
                self.converters.append((index, [(c, expression) for c in found]))

    def params(self, tenant_id: int, where: dict, limit: int | None) -> list:
        conn = connections[DEFAULT_DB_ALIAS]
        values = list(where.values())
        params: list = []
        for slot in self.slots:
            if slot == "tenant":
                params.append(tenant_id)
            elif slot == "limit":
                params.append(limit)
            else:
                field, operator = self.conditions[slot]
                value = values[slot]
                if operator != "IN":
                    params.append(field.get_db_prep_value(value, conn, prepared=False))
                    continue
                # Each value once (an id list probed id by id would repeat its rows).
                prepped = list(dict.fromkeys(field.get_db_prep_value(v, conn, prepared=False)
                                             for v in value))
                params.append(prepped)
        return params

    def rows(self, tenant_id: int, where: dict, limit: int | None) -> list:
        if any(operator == "IN" and not value for (_, operator), value
               in zip(self.conditions, where.values(), strict=True)):
            return []  # nothing can match an empty list
        rows = execute(self.sql, self.params(tenant_id, where, limit),
                       prepare=self.prepare and settings.DATABASE_PREPARED_READS)
        if not self.converters:
            return rows
        conn = connections[DEFAULT_DB_ALIAS]
        out = []
        for row in rows:
            converted = list(row)
            for index, converters in self.converters:
                value = converted[index]
                for converter, expression in converters:
                    value = converter(value, expression, conn)
                converted[index] = value
            out.append(converted)
        return out


def _probe_index(model: type[Model], field: Field) -> bool:
    """Whether one tenant's rows with a given value of `field` are found through an index:
    the field's own, or one that starts with it, after the tenant or not."""
    if getattr(field, "db_index", False) or field.unique:
        return True
    opts = model._meta
    leads = [list(index.fields) for index in opts.indexes]
    leads += [list(fields) for c in opts.constraints if (fields := getattr(c, "fields", None))]
    names = {field.name, field.attname}
    for fields in leads:
        if fields and fields[0] in ("tenant", "tenant_id"):
            fields = fields[1:]
        if fields and fields[0] in names:
            return True
    return False


def _field(opts, name: str) -> Field:
    return cast(Field, opts.pk if name == "pk" else opts.get_field(name))


_READS: dict[tuple, _Read] = {}


def _read(model, columns, where, related, order_by, limit, lock) -> _Read:
    key = (model, columns, tuple(where), tuple(related), tuple(order_by), limit is not None, lock)
    read = _READS.get(key)
    if read is None:
        if not has_tenant(model):
            raise ValueError(f"{model.__name__} has no tenant: these reads are per tenant")
        read = _READS[key] = _Read(model, columns, list(where), related, order_by,
                                   limit is not None, lock)
    return read
