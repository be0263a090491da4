"""Every place where config.db relies on a library's private internals, and why each is kept.

Each shortcut below bought at least 5 % end to end on a benchmark of the user's path,
measured A/B (with and without it, runs alternated, medians of three) on one machine; each
is pinned by tests/test_db_internals.py, which fails with the library's name and what changed
when an upgrade moves what it relies on. The public way is named beside each, to fall back
on then.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

# --- psycopg: prepared statements through Django's cursor wrapper -------------------------

_NEVER = 2**31


def preparing_cursor(raw_connection):
    """A cursor on `raw_connection` whose statements are prepared."""
    if raw_connection.prepare_threshold is None:
        # Django turns psycopg's preparation off (for poolers); switched back on for the
        # statements asked to prepare only: the threshold is never reached otherwise.
        raw_connection.prepare_threshold = _NEVER
    return _preparing_cursor_class()(raw_connection)


@functools.cache
def _preparing_cursor_class() -> type:
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


# --- Django: model instances without Model.__init__ ---------------------------------------

def instance_maker(model: type[Model], related: list[type[Model]]):
    """(make, relate): make(model, attnames, values) builds an instance as read from the
    database; relate(obj, name, related_obj) sets a forward relation's cached object.
    Without Model.__init__ (a signal and a descriptor per field: 20-30 µs a row on the
    dispatcher's models, several times the query), unless a model has pre_init/post_init
    receivers (none of ours has any): then Model.from_db, which sends them."""
    if any(signal.has_listeners(m) for signal in (pre_init, post_init)
           for m in (model, *related)):
        return _from_db, _relate
    return _bare, _relate


def _bare(model, columns, values):
    obj = model.__new__(model)
    obj.__dict__.update(zip(columns, values, strict=True))
    state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    obj._state = state
    return obj


def _from_db(model, columns, values):
    return model.from_db(DEFAULT_DB_ALIAS, columns, values)


def _relate(obj: Model, name: str, related: Model | None) -> None:
    obj._state.fields_cache[name] = related


# --- Django + psycopg: timestamptz read in C ----------------------------------------------

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
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
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
