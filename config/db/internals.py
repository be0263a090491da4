"""Every place where config.db relies on a library's private internals, and why each is kept.

Each shortcut below bought at least 5 % end to end on a benchmark of the user's path,
measured A/B (with and without it, runs alternated, medians of three) on one machine; each
is pinned by tests/test_db_internals.py, which fails with the library's name and what changed
when an upgrade moves what it relies on. The public way is named beside each, to fall back
on then.
"""

from __future__ import annotations

from datetime import UTC, datetime

# --- Django + psycopg: timestamptz read in C ----------------------------------------------

def timestamps_fast(sender, connection, **kwargs) -> None:
    """connection_created: read `timestamptz` columns in C instead of Django's loader, a
    pure-Python parser that took a tenth of the dispatcher's time (a Message row has five
    timestamps). Same values: with Django's UTC (the default) it is psycopg's own loader,
    compiled (psycopg[binary]), which Django only replaced to attach its time zone, the
    same `timezone.utc` that psycopg gives a UTC session; with another zone,
    `datetime.fromisoformat`, and anything but that offset (or `infinity`, BC) takes
    Django's path.

    Internals: Django's `BaseTzLoader` (django.db.backends.postgresql.psycopg_any, not a
    documented API) and its `timezone` attribute, which Django's `create_cursor` compares
    before putting its own loader on each cursor; psycopg_binary's compiled loader, whose
    bound `load` is borrowed. Kept for its measured gain: without it a dispatch batch's
    reads (the claim's rows and the contexts, CPU) took 123 µs a message instead of 90, and
    the whole dispatch of a message 7-13 % more CPU (in-process dispatch of 500 messages,
    alternated rounds, per-round ratio medians 1.135 / 1.072 / 1.097 with the database's
    CPU), which is what `pipeline_msgs_per_s` of `bench/messaging.py` measures (runs
    alternated on a shared machine: ratio 3.7 and 5.3 without it, 6.2 and 5.4 with);
    planning (the announcement) 5-27 % more. Pinned by tests/test_db_internals.py (values:
    tests/test_db_timestamps.py). The public way, should Django or psycopg change: drop it
    (Django's own loader)."""
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
