"""The rollup tables' definitions and their upkeep.

    sources.py     each table and the one SELECT that computes its rows from raw rows
    maintain.py    rollups_update (incremental, the periodic task), rollups_rebuild (a range)
    reconcile.py   rollups_differences: every rollup figure against the raw rows' figure
"""

from .maintain import rollups_rebuild, rollups_update
from .reconcile import Difference, rollups_differences
from .sources import ROLLUPS, Rollup

__all__ = ["ROLLUPS", "Difference", "Rollup", "rollups_differences", "rollups_rebuild",
           "rollups_update"]
