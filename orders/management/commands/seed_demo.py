"""`manage.py seed_demo`: the Acme Outdoor demo tenant (idempotent; see orders/demo.py)."""

import time

from django.core.management.base import BaseCommand

from orders import demo
from orders.demo_logins import DEMO_LOGINS


class Command(BaseCommand):
    help = "Create the demo tenant 'Acme Outdoor' with its catalog, customers and orders."

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        tenant, result = demo.seed_demo()
        took = time.perf_counter() - started
        if result.changed:
            made = ", ".join(f"{count} {what}" for what, count in result.created.items() if count)
            self.stdout.write(self.style.SUCCESS(
                f"Seeded demo tenant {tenant.name!r} ({tenant.slug}): created {made} "
                f"in {took:.1f} s."))
        else:
            self.stdout.write(f"Demo tenant {tenant.name!r} ({tenant.slug}) is complete; "
                              f"nothing to change ({took:.1f} s).")
        for role, email, password in DEMO_LOGINS:
            self.stdout.write(f"Log in as {email} / {password} ({role}).")
