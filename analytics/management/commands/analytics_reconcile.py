"""Compare every analytics rollup figure of a date range with the raw rows; exit status 1 and
each difference listed when any differs."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tenants.context import tenant_scope

from ...rollups import rollups_differences
from ._dates import add_range_arguments, parse_range, tenants_named


class Command(BaseCommand):
    help = "Compare the analytics rollups from --from to --to with the raw rows."

    def add_arguments(self, parser):
        add_range_arguments(parser)

    def handle(self, *args, **options):
        first, last = parse_range(options)
        total = 0
        for tenant in tenants_named(options):
            with tenant_scope(tenant):
                differences = rollups_differences(tenant, first, last)
            for difference in differences:
                self.stdout.write(f"{tenant.slug}: {difference}")
            total += len(differences)
        self.stdout.write(f"{total} differences")
        if total:
            raise CommandError(f"{total} rollup figures differ from the raw rows.")
