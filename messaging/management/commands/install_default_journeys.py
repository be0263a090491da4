"""Install the default templates and journey for stores that existed before messaging did
(new stores get them at sign-up). Idempotent: a store that has its default journey keeps it
exactly as the retailer edited it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from messaging.journeys import default_journey_install
from messaging.models import Journey
from tenants.context import tenant_scope
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Install the default message templates and journey for every store that lacks them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", action="append", default=[], metavar="SLUG",
                            help="Only this store (repeatable); default: every active store.")

    def handle(self, *args, tenant: list[str], **options) -> None:
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug__in=tenant)
            unknown = sorted(set(tenant) - set(tenants.values_list("slug", flat=True)))
            if unknown:
                raise CommandError(f"No store with the address {', '.join(unknown)}.")
        else:
            tenants = tenants.filter(status=Tenant.Status.ACTIVE)
        installed = 0
        for store in tenants:
            with tenant_scope(store):
                had_one = Journey.objects.filter(is_default=True).exists()
                default_journey_install(store)  # templates too, even when the journey exists
            installed += not had_one
            self.stdout.write(f"{store.slug}: {'already installed' if had_one else 'installed'}")
        self.stdout.write(self.style.SUCCESS(f"Default journey installed for {installed} "
                                             f"store(s)."))
