"""The date-range arguments the analytics commands share."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError, CommandParser

from tenants.models import Tenant


def add_range_arguments(parser: CommandParser) -> None:
    parser.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD")
    parser.add_argument("--tenant", help="a store's slug; every active store when left out")


def parse_range(options: dict) -> tuple[date, date]:
    try:
        first, last = date.fromisoformat(options["first"]), date.fromisoformat(options["last"])
    except ValueError as exc:
        raise CommandError(f"Dates are YYYY-MM-DD: {exc}") from exc
    if last < first:
        raise CommandError("--to is before --from.")
    return first, last


def tenants_named(options: dict) -> list[Tenant]:
    if options.get("tenant"):
        tenants = list(Tenant.objects.filter(slug=options["tenant"]))
        if not tenants:
            raise CommandError(f"No store has the slug {options['tenant']!r}.")
        return tenants
    return list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("pk"))
