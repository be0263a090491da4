"""Django's makemigrations, run as the tables' owner rather than the application's role
(tenants/rls.py): its consistency check reads the migration history of a database that may
not be migrated yet, before `migrate` has made the role (`makemigrations --check` in CI, on a
fresh embedded database)."""

from django.core.management.commands import makemigrations
from django.db import connections

from tenants.rls import owner_session


class Command(makemigrations.Command):
    def handle(self, *app_labels, **options):
        with owner_session():
            try:
                return super().handle(*app_labels, **options)
            finally:
                connections.close_all()  # nothing goes on as the owner, and the role may not exist yet
