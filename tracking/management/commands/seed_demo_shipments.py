from django.core.management.base import BaseCommand, CommandError

from tenants.models import Tenant
from tracking.demo import seed_demo_shipments


class Command(BaseCommand):
    help = "Give the demo store's fulfilled orders parcels with scan histories (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="acme", help="store slug (default: acme)")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No store {options['tenant']!r}: run `manage.py seed_demo` first.")
        result = seed_demo_shipments(tenant)
        if result.shipments or result.events:
            self.stdout.write(f"Demo parcels: {result.shipments} shipments and {result.events} "
                              "scan events added.")
        if result.live:
            self.stdout.write(f"{result.live} live parcels set off: they move about a scan a "
                              "minute while the worker and beat run (DEMO_LIVE_PARCELS).")
        else:
            self.stdout.write("Demo parcels are complete; nothing to change.")
