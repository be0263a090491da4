"""`manage.py import_transactions --tenant SLUG --data FILE`: a store's order history from a
transactions export (one row per invoice line; orders/services/transactions.py)."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orders.services.transactions import (
    NON_PRODUCT,
    transactions_import,
    transactions_open,
    transactions_parse,
)
from tenants.context import tenant_scope
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Import orders, products and customers from a transactions CSV (gzip or not)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="the store's slug")
        parser.add_argument("--data", required=True, help="the CSV file, gzip-compressed or not")
        parser.add_argument("--currency", default="GBP", help="the prices' currency (GBP)")
        parser.add_argument("--timezone", default=None,
                            help="the invoice dates' time zone (default: the store's)")
        parser.add_argument("--before", default=None,
                            help="import only invoices placed before this day (YYYY-MM-DD)")
        parser.add_argument("--non-product", default=NON_PRODUCT,
                            help="a regular expression: stock codes that are not products")

    def handle(self, *args, **options) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No store {options['tenant']!r}.")
        zone = options["timezone"] or tenant.timezone
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CommandError(f"--timezone: unknown time zone {zone!r}") from exc
        before = None
        if options["before"]:
            try:
                before = datetime.strptime(options["before"], "%Y-%m-%d").replace(
                    tzinfo=ZoneInfo(zone))
            except ValueError as exc:
                raise CommandError("--before: not YYYY-MM-DD") from exc
        started = time.perf_counter()
        try:
            with transactions_open(options["data"]) as stream:
                invoices, skipped = transactions_parse(stream, tz=zone,
                                                       non_product=options["non_product"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"{options['data']}: {exc}") from exc
        with tenant_scope(tenant), transaction.atomic():  # this command is the edge
            counts = transactions_import(tenant, invoices, currency=options["currency"],
                                         before=before)
        self.stdout.write(
            f"{tenant.slug}: {counts.orders} orders, {counts.lines} lines, {counts.products} "
            f"new products, {counts.customers} new customers; {skipped} rows skipped "
            f"({time.perf_counter() - started:.1f} s)")
