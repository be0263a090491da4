"""Recompute the analytics rollups of a date range from raw rows (after a fix, an import of
history, or a difference the reconciliation found)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tenants.context import tenant_scope

from ...rollups import rollups_rebuild
from ._dates import add_range_arguments, parse_range, tenants_named


class Command(BaseCommand):
    help = "Rebuild the analytics rollups of every day from --from to --to (local days)."

    def add_arguments(self, parser):
        add_range_arguments(parser)

    def handle(self, *args, **options):
        first, last = parse_range(options)
        for tenant in tenants_named(options):
            with tenant_scope(tenant):
                days = rollups_rebuild(tenant, first, last)
            self.stdout.write(f"{tenant.slug}: {days} days rebuilt")
