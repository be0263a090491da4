"""Set-based SQL for the hot paths, below every app.

Django's ORM builds a statement per call in Python: a placeholder and an adapter per value
(`bulk_create`), a CASE per field and row (`bulk_update`), client-side quoting of every
parameter, and PostgreSQL plans each statement afresh. On the ingest and messaging hot paths
that cost more than the database's own work (250 events: compiling the insert took longer than
running it; the webhook's tenant lookup: 0.13 ms of planning for 0.03 ms of execution). Here:

    rows_insert   INSERT INTO t (a, b, …) SELECT * FROM unnest(%b::a[], %b::b[], …)
                      ON CONFLICT … DO NOTHING [RETURNING …]      one array per column;
                  like every write and read here, for the one tenant the caller names
    rows_update   UPDATE t SET a = v.a, … FROM unnest(…) AS v(id, tenant_id, a, …)
                      WHERE t.id = ANY(%b) AND t.id = v.id AND t.tenant_id = v.tenant_id
    execute       one statement on a server-side-binding cursor: parameters travel apart
                  from the SQL (arrays in binary: Django's client-side cursor quoted 4 MB of
                  rendered HTML into the statement in Python, character by character)
    instances     a queryset's rows as model instances built from values_list, without
                  Model.__init__ per row (a third of the cost of reading a dispatch batch)
    instances_where / values_where
                  SELECT … FROM t [LEFT JOIN r ON … AND r.tenant_id = t.tenant_id]
                      WHERE t.tenant_id = %s AND t.a = ANY(%s) …   one tenant's rows by value,
                  the statement built once per shape and process (compiling a filter through
                  the ORM cost more than running it), instances or tuples as the ORM gives;
                  rows by a list of foreign-key values, and joined rows, through one index
                  probe each (LATERAL), whatever the table's size; prepared statements
                  (parsed and planned once per connection) unless they lock rows
    timestamps_fast  (connection_created, wired in config/apps.py) timestamptz parsed in C
                  (psycopg's compiled loader) instead of Django's pure-Python loader

All of it runs on Django's own connection (the caller's transaction), through Django's cursor
wrapper (execute wrappers and the test's query counts see it). Column lists and types come
from the models, so a new column cannot be missed; only identifiers from the models are
interpolated, every value is a parameter. PostgreSQL only: it is the one database Doorstep
runs on, embedded (config.embedded) or not.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Field, Model
from django.db.models.base import ModelState


def execute(sql: str, params: Sequence = (), *, prepare: bool = False) -> list[tuple]:
    """Run one statement and return its rows (none for a statement without a result).
    `prepare` (PostgreSQL): a named prepared statement on this connection, parsed and planned
    once and then reused (see _Read.prepare for which statements may)."""
    conn = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one per attribute
    import psycopg

    conn.ensure_connection()
    if prepare:
        if conn.connection.prepare_threshold is None:
            # Django turns psycopg's preparation off (for poolers); switched back on for the
            # statements asked to prepare only: the threshold is never reached otherwise.
            conn.connection.prepare_threshold = _NEVER
        raw = _preparing_cursor()(conn.connection)
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


_NEVER = 2**31


@functools.cache
def _preparing_cursor() -> type:
    import psycopg

    class PreparingCursor(psycopg.Cursor):
        """A server-side-binding cursor whose statements are prepared (Django's cursor
        wrapper calls execute(sql, params) and cannot pass `prepare=`)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

        def _maybe_prepare_gen(self, pgq, *, prepare=None, binary=None):
            # psycopg records the statement for `_query` only when it is not prepared; Django's
            # query log (and the tests' query counts) read it from there.
            self._query = pgq
            yield from super()._maybe_prepare_gen(pgq, prepare=prepare, binary=binary)

    return PreparingCursor


def array_type(field: Field) -> str:
    """The column's base type, for an array parameter (varchar(n)[] would cut silently)."""
    base = (field.db_type(connection) or "text").split("(")[0]
    return {"varchar": "text", "serial": "integer", "bigserial": "bigint"}.get(base, base)


def _fields(model: type[Model]) -> list[Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


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
    columns = ", ".join(_quote(f.column) for f in fields)
    arrays = ", ".join(f"%b::{array_type(f)}[]" for f in fields)
    target = f"({conflict}) " if conflict else ""
    sql = (f"INSERT INTO {_quote(model._meta.db_table)} ({columns}) "  # noqa: S608
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
    sql = (f"INSERT INTO {_quote(model._meta.db_table)} "  # noqa: S608
           f"({', '.join(_quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {_quote(model._meta.pk.column)}")
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    obj.pk = execute(sql, values)[0][0]
    obj._state.adding, obj._state.db = False, connection.alias
    return obj


def _check_tenant(what: str, model: type[Model], tenant_id: int, objs: Sequence[Model]) -> None:
    """Every write here is one tenant's, named by the caller (as the reads are): a row that
    says otherwise is a bug upstream, refused before the statement. A plain loop over
    attributes (no query): a 250-row ingest batch spends microseconds on it. A table without
    a tenant would need its own, named, function: none is written through this module."""
    if not _has_tenant(model):
        raise ValueError(f"{what}: {model.__name__} has no tenant: these writes are per tenant")
    if any(obj.tenant_id != tenant_id for obj in objs):  # type: ignore[attr-defined]
        raise ValueError(f"{what}: every row must belong to tenant {tenant_id}")


@functools.cache
def _has_tenant(model: type[Model]) -> bool:
    return any(f.attname == "tenant_id" for f in model._meta.concrete_fields)


def rows_update(model: type[Model], tenant_id: int, objs: Sequence[Model],
                field_names: Sequence[str]) -> None:
    """Write `field_names` of each row from its instance, in one statement (rows of one
    tenant, which the caller has locked or owns)."""
    if not objs:
        return
    if any(getattr(obj, "tenant_id", tenant_id) != tenant_id for obj in objs):
        raise ValueError(f"rows_update: every row must belong to tenant {tenant_id}")
    conn = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one per value
    key = (model, tuple(field_names))
    if key not in _UPDATES:
        _UPDATES[key] = _update_sql(model, field_names)
    sql, fields = _UPDATES[key]
    ids = [obj.pk for obj in objs]
    params: list = [ids, [tenant_id] * len(ids)]
    for field in fields:
        attname, prep, as_is = field.attname, field.get_db_prep_save, _AS_IS.get(type(field))
        values = [getattr(obj, attname) for obj in objs]
        params.append([value if type(value) is as_is else prep(value, conn)
                       for value in values])
    execute(sql, [*params, ids])


_UPDATES: dict[tuple, tuple[str, list[Field]]] = {}  # (model, field names) → statement
# Fields whose get_db_prep_save gives back a value of this exact type unchanged (to_python
# of a str is the str): most of a dispatch batch's thousand calls skipped. Exact classes
# only; not integers, which Django wraps in psycopg's Int4/Int8.
_AS_IS: dict[type[Field], type] = {
    models.CharField: str, models.TextField: str, models.SlugField: str,
    models.BooleanField: bool,
}


def _update_sql(model: type[Model], field_names: Sequence[str]) -> tuple[str, list[Field]]:
    fields = [model._meta.get_field(name) for name in field_names]
    arrays = ", ".join(["%b::bigint[]", "%b::bigint[]",
                        *(f"%b::{array_type(f)}[]" for f in fields)])
    aliases = ", ".join(["id", "tenant_id", *(_quote(f.column) for f in fields)])
    assignments = ", ".join(f"{_quote(f.column)} = v.{_quote(f.column)}" for f in fields)
    # The rows are found by primary key (`t.id = ANY(ids)`, an index scan) and the tenant is
    # checked through the join. With `t.tenant_id = %s` PostgreSQL could take the tenant's
    # index instead: on statistics from before a burst it read all of the tenant's rows into
    # a hash table to update a hundred of them (2 ms of a dispatch batch's 3.5, and growing
    # with the tenant's history).
    sql = (f"UPDATE {_quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608
           f"FROM unnest({arrays}) AS v({aliases}) "
           "WHERE t.id = ANY(%b::bigint[]) AND t.id = v.id AND t.tenant_id = v.tenant_id")
    return sql, fields


def timestamps_fast(sender, connection, **kwargs) -> None:
    """connection_created: read `timestamptz` columns in C instead of Django's loader, a
    pure-Python parser that took a tenth of the dispatcher's time (a Message row has five
    timestamps). Same values: with Django's UTC (the default) it is psycopg's own loader,
    compiled (psycopg[binary]), which Django only replaced to attach its time zone, the
    same `timezone.utc` that psycopg gives a UTC session; with another zone,
    `datetime.fromisoformat`, and anything but that offset (or `infinity`, BC) takes
    Django's path."""
    if connection.timezone is None:
        return
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader, is_psycopg3

    if not is_psycopg3:
        return
    from psycopg import adapters, postgres
    from psycopg.pq import Format

    zone = connection.timezone
    raw = connection.connection
    if zone is UTC and raw.info.parameter_status("TimeZone") == "UTC":
        native = adapters.get_loader(postgres.types["timestamptz"].oid, Format.TEXT)
        if native is not None and native.__module__.startswith(("psycopg_binary", "psycopg_c")):

            class NativeTzLoader(BaseTzLoader):
                timezone = zone  # what Django's create_cursor compares

                def __init__(self, oid, context=None):
                    super().__init__(oid, context)
                    # The compiled loader's own bound load (its class cannot be subclassed):
                    # psycopg calls the attribute, so no Python frame per value.
                    self.load = native(oid, context).load

            raw.adapters.register_loader("timestamptz", NativeTzLoader)
            return
    offset = zone.utcoffset(None)

    class FastTzLoader(BaseTzLoader):
        timezone = zone

        def load(self, data):
            try:
                value = datetime.fromisoformat(bytes(data).decode())
            except ValueError:
                return super().load(data)
            if value.utcoffset() != offset:
                return super().load(data)
            return value.replace(tzinfo=zone)

    raw.adapters.register_loader("timestamptz", FastTzLoader)


def instances(queryset, related: Sequence[str] = ()) -> list[Model]:
    """The rows of `queryset` as model instances, built without Model.__init__ (which costs
    a signal and a descriptor per field: 20-30 µs a row on the dispatcher's models, several
    times the query). Values come through `values_list`, so every field's from_db_value
    runs; `related` names forward relations to read in the same query (select_related).
    A model with pre_init/post_init receivers (none of ours has any) takes the ORM's path."""
    model = queryset.model
    own = [f.attname for f in model._meta.concrete_fields]
    columns = list(own)
    nested = _nested(model, related, len(own))
    for name, _, rel_columns, _, _ in nested:
        columns += [f"{name}__{column}" for column in rel_columns]
    return _built(model, own, nested, queryset.values_list(*columns), queryset.db)


def _nested(model: type[Model], related: Sequence[str], start: int) -> list[tuple]:
    """Per forward relation read in the same row: (name, its model, its columns, where they
    start in a row, where its primary key is among them), one after the other from `start`."""
    nested = []
    for name in related:
        rel_model = model._meta.get_field(name).related_model
        rel_columns = [f.attname for f in rel_model._meta.concrete_fields]
        nested.append((name, rel_model, rel_columns, start,
                       rel_columns.index(rel_model._meta.pk.attname)))
        start += len(rel_columns)
    return nested


def _built(model: type[Model], own: list[str], nested: list[tuple], rows, alias: str) -> list:
    """Instances from rows of `own` columns then each relation's (`_nested`). Without
    Model.__init__, unless a model has pre_init/post_init receivers (none of ours has any):
    then Model.from_db, which sends them."""
    from django.db.models.signals import post_init, pre_init

    make = _bare
    if any(signal.has_listeners(m) for signal in (pre_init, post_init)
           for m in (model, *(rel for _, rel, _, _, _ in nested))):
        make = _from_db
    out = []
    for row in rows:
        obj = make(model, own, row[:len(own)], alias)
        for name, rel_model, rel_columns, start, pk_at in nested:
            values = row[start:start + len(rel_columns)]
            obj._state.fields_cache[name] = (
                None if values[pk_at] is None else make(rel_model, rel_columns, values, alias))
        out.append(obj)
    return out


def _bare(model, columns, values, alias):
    obj = model.__new__(model)
    obj.__dict__.update(zip(columns, values, strict=True))
    state = ModelState()
    state.adding, state.db = False, alias
    obj._state = state
    return obj


def _from_db(model, columns, values, alias):
    return model.from_db(alias, columns, values)


# --- reads by value, compiled once ------------------------------------------------------

# The lookups a hot-path read may use, as `where` keys: "status", "id__in", "due_at__lte".
_OPERATORS = {"exact": "=", "in": "IN", "lte": "<=", "lt": "<", "gte": ">=", "gt": ">"}


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
            relation = opts.get_field(name)
            rel_model, alias = relation.related_model, f"r{index}"
            fields += [(f, alias) for f in rel_model._meta.concrete_fields]
            # The related row must be the same tenant's: a stray foreign key reads as None.
            match = (f"{alias}.{_quote(rel_model._meta.pk.column)} = t.{_quote(relation.column)} "
                     f"AND {alias}.tenant_id = t.tenant_id")
            table = _quote(rel_model._meta.db_table)
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
            column = f"t.{_quote(field.column)}"
            if index == driver:
                clauses.append(f"{column} = k.v")
                continue
            self.slots.append(index)
            if operator != "IN":
                clauses.append(f"{column} {operator} %s")
            else:
                clauses.append(f"{column} = ANY(%s::{array_type(field)}[])")
        order = [f"t.{_quote(_field(opts, name.lstrip('-')).column)}"
                 f"{' DESC' if name.startswith('-') else ''}" for name in order_by]
        select = ", ".join(f"{alias}.{_quote(field.column)}" for field, alias in fields)
        table = f"{_quote(opts.db_table)} t"
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

    def rows(self, tenant_id: int, where: dict, limit: int | None) -> list[list]:
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
            row = list(row)
            for index, converters in self.converters:
                value = row[index]
                for converter, expression in converters:
                    value = converter(value, expression, conn)
                row[index] = value
            out.append(row)
        return out


def _probe_index(model: type[Model], field: Field) -> bool:
    """Whether one tenant's rows with a given value of `field` are found through an index:
    the field's own, or one that starts with it, after the tenant or not."""
    if field.db_index or field.unique:
        return True
    opts = model._meta
    leads = [list(index.fields) for index in opts.indexes]
    leads += [list(c.fields) for c in opts.constraints if getattr(c, "fields", None)]
    names = {field.name, field.attname}
    for fields in leads:
        if fields and fields[0] in ("tenant", "tenant_id"):
            fields = fields[1:]
        if fields and fields[0] in names:
            return True
    return False


def _field(opts, name: str) -> Field:
    return opts.pk if name == "pk" else opts.get_field(name)


_READS: dict[tuple, _Read] = {}


def _read(model, columns, where, related, order_by, limit, lock) -> _Read:
    key = (model, columns, tuple(where), tuple(related), tuple(order_by), limit is not None, lock)
    read = _READS.get(key)
    if read is None:
        if not any(f.name == "tenant" for f in model._meta.concrete_fields):
            raise ValueError(f"{model.__name__} has no tenant: these reads are per tenant")
        read = _READS[key] = _Read(model, columns, list(where), related, order_by,
                                   limit is not None, lock)
    return read


def instances_where(model: type[Model], tenant_id: int, where: dict, *,
                    related: Sequence[str] = (), order_by: Sequence[str] = (),
                    limit: int | None = None, lock: str = "") -> list[Model]:
    """One tenant's rows of `model` matching `where` ({"id__in": ids, "status": "queued"}:
    exact, in, lt(e), gt(e)), as instances (like `instances`), with `related` forward
    relations joined. The statement is built once per shape and process (a filter through
    the ORM costs more to compile than to run: 0.3-0.6 ms each, a dozen a dispatch batch),
    an `in` list is one array parameter, and `lock` ("FOR UPDATE", "FOR UPDATE OF t SKIP
    LOCKED") applies on PostgreSQL only. The tenant is a required argument: every statement
    has `tenant_id = %s`, and joined rows must carry the same tenant."""
    read = _read(model, None, where, related, order_by, limit, lock)
    return _built(model, read.own, read.nested, read.rows(tenant_id, where, limit),
                  DEFAULT_DB_ALIAS)


def values_where(model: type[Model], tenant_id: int, columns: Sequence[str], where: dict, *,
                 order_by: Sequence[str] = ()) -> list[tuple]:
    """`instances_where` for a few columns (attnames), as tuples: values_list's rows."""
    read = _read(model, tuple(columns), where, (), order_by, None, "")
    return [tuple(row) for row in read.rows(tenant_id, where, None)]
