"""Every figure of the rollup tables against the same figure computed from raw rows now.

A difference means the incremental upkeep missed a change (or a raw row changed without a
trace the upkeep reads, such as a promised date edited after delivery); rebuilding the range
(`manage.py analytics_rebuild`) puts it right, and the report says which rows to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from config import db
from tenants.models import Tenant

from .maintain import params
from .sources import ROLLUPS, Rollup


@dataclass(frozen=True)
class Difference:
    table: str
    day: date
    key: tuple
    column: str
    rollup: int
    raw: int

    def __str__(self) -> str:
        key = ", ".join(str(part) for part in self.key)
        return (f"{self.table} {self.day:%Y-%m-%d} ({key}) {self.column}: "
                f"rollup {self.rollup}, raw {self.raw}")


def _differences_of_rows(tenant: Tenant, rollup: Rollup, rows: Callable[..., list[tuple]],
                         days: list[date]) -> list[Difference]:
    """The same comparison for a rollup whose raw figures come from another app's function
    (`rows`, the rollup's own)."""
    bound = params(tenant, days)
    width = 1 + len(rollup.keys)
    raw = {row[:width]: row[width:] for row in rows(tenant, days, bound["lo"], bound["hi"])}
    mine = {row[:width]: row[width:] for row in rollup.model._default_manager.filter(day__in=days)
            .values_list("day", *rollup.keys, *rollup.values)}
    zeros = (0,) * len(rollup.values)
    found = []
    for key in sorted(set(raw) | set(mine)):
        for column, ours, theirs in zip(rollup.values, mine.get(key, zeros), raw.get(key, zeros),
                                        strict=True):
            if ours != theirs:
                found.append(Difference(rollup.name, key[0], key[1:], column, ours, theirs))
    return found


def _differences(tenant: Tenant, rollup: Rollup, days: list[date]) -> list[Difference]:
    if rollup.rows is not None:
        return _differences_of_rows(tenant, rollup, rollup.rows, days)
    keys = ("day", *rollup.keys)
    raw_names = ", ".join((*keys, *rollup.values))
    joined = " AND ".join(f"r.{k} = w.{k}" for k in keys)  # keys are never null
    key_cols = ", ".join(f"COALESCE(r.{k}, w.{k})" for k in keys)
    value_cols = ", ".join(f"COALESCE(r.{v}, 0), COALESCE(w.{v}, 0)" for v in rollup.values)
    differs = " OR ".join(f"COALESCE(r.{v}, 0) <> COALESCE(w.{v}, 0)" for v in rollup.values)
    sql = (f"WITH w({raw_names}) AS ({rollup.select}), "  # noqa: S608
           f"r AS (SELECT * FROM {rollup.table} WHERE tenant_id = %(tenant)s "
           "AND day = ANY(%(days)s::date[])) "
           f"SELECT {key_cols}, {value_cols} FROM r FULL JOIN w ON {joined} WHERE {differs}")
    found = []
    for row in db.execute(sql, params(tenant, days)):
        key, values = row[:len(keys)], row[len(keys):]
        for index, column in enumerate(rollup.values):
            mine, raw = values[2 * index], values[2 * index + 1]
            if mine != raw:
                found.append(Difference(rollup.name, key[0], tuple(key[1:]), column, mine, raw))
    return found


def rollups_differences(tenant: Tenant, first: date, last: date) -> list[Difference]:
    """Every figure that differs between the rollups and the raw rows, from `first` to
    `last` (local days; page views by UTC day)."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if not days:
        return []
    return [difference for rollup in ROLLUPS for difference in _differences(tenant, rollup, days)]
