"""Django's migrate, run as the tables' owner rather than the application's role
(tenants/rls.py); its post_migrate step gives every tenant-owned table its policy."""

from django.core.management.commands import migrate

from tenants.rls import owner_session


class Command(migrate.Command):
    def handle(self, *args, **options):
        with owner_session(options["database"]):
            return super().handle(*args, **options)
