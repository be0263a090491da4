"""`manage.py seed_demo_returns`: the demo store's return policy and returns (idempotent; see
returns/demo.py). Run after seed_demo_shipments: returns are of delivered orders."""

from django.core.management.base import BaseCommand, CommandError

from returns.demo import seed_demo_returns
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Give the demo store a return policy and returns in every state (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="acme", help="store slug (default: acme)")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No store {options['tenant']!r}: run `manage.py seed_demo` first.")
        result = seed_demo_returns(tenant)
        if result.policy or result.returns:
            self.stdout.write(f"Demo returns: {'a return policy and ' if result.policy else ''}"
                              f"{result.returns} returns added.")
        else:
            self.stdout.write("Demo returns are complete; nothing to change.")
