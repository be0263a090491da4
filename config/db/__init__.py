"""Set-based SQL for the hot paths, below every app: the one public surface is this module's.

Django's ORM builds a statement per call in Python: a placeholder and an adapter per value
(`bulk_create`), a CASE per field and row (`bulk_update`), client-side quoting of every
parameter, and PostgreSQL plans each statement afresh. On the ingest and messaging hot paths
that cost more than the database's own work (250 events: compiling the insert took longer than
running it). Here, for the one tenant the caller names (a required argument of every call):

    writes.py      rows_insert    many rows in one INSERT … SELECT FROM unnest(arrays)
                   rows_update    many rows' fields by primary key, in one UPDATE … FROM unnest
                   row_insert     one row, one short statement
                   saved          instances written here marked saved, as the ORM's writes do
    reads.py       instances_where / values_where
                                  prepared reads by value: instances or tuples, the statement
                                  built once per shape and process, planned once per connection
    statements.py  execute        one statement on a server-side-binding cursor
    internals.py   the shortcuts through library internals that measured gains keep, each
                   pinned by tests/test_db_internals.py

All of it runs on Django's own connection (the caller's transaction), through Django's cursor
wrapper (execute wrappers and the tests' query counts see it). Column lists and types come
from the models, so a new column cannot be missed; only identifiers from the models are
interpolated, every value is a parameter. PostgreSQL only: the one database Doorstep runs on,
embedded (config.embedded) or not. Callers import the package (`from config import db`) and
use the names below, nothing from its modules.
"""

from .reads import instances_where, values_where
from .statements import execute
from .writes import row_insert, rows_insert, rows_update, saved

__all__ = ["execute", "instances_where", "row_insert", "rows_insert", "rows_update", "saved",
           "values_where"]
