"""`manage.py recommendations_recompute --tenant SLUG` (or `--all`): relearn what goes with
what from the store's orders now, instead of waiting for the nightly task."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from recommendations.learning import associations_recompute
from tenants.context import tenant_scope
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Recompute product associations, best sellers and category complements."

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--tenant", help="the store's slug")
        which.add_argument("--all", action="store_true", help="every active store")
        parser.add_argument("--as-of", default=None,
                            help="learn from orders before this day (YYYY-MM-DD), as if then")

    def handle(self, *args, **options) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else None
        if options["all"]:
            tenants = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("pk"))
        else:
            tenants = list(Tenant.objects.filter(slug=options["tenant"]))
            if not tenants:
                raise CommandError(f"No store {options['tenant']!r}.")
        for tenant in tenants:
            with tenant_scope(tenant):  # this command is the edge
                result = associations_recompute(tenant, as_of=as_of)
            self.stdout.write(f"{tenant.slug}: {result.associations} associations from "
                              f"{result.orders} orders ({result.lines} lines) in "
                              f"{result.seconds:.1f} s")


def _date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise CommandError(f"--as-of: {value!r} is not YYYY-MM-DD") from exc
