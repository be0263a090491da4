"""Django's flush (the tests' reset between transactional tests), run as the tables' owner:
TRUNCATE is the owner's, and the application's role is never granted it, since it ignores
row-level security (tenants/rls.py)."""

from django.core.management.commands import flush

from tenants.rls import owner_session


class Command(flush.Command):
    def handle(self, **options):
        with owner_session(options["database"]):
            return super().handle(**options)
