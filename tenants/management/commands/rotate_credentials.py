"""`manage.py rotate_credentials`: re-encrypt every stored credential with the newest key.

Rotation: put a new Fernet key in front of DOORSTEP_ENCRYPTION_KEYS (keep the old ones
after it), restart, run this, then drop the old keys and restart again.
"""

from django.core.management.base import BaseCommand

from tenants.context import no_tenant
from tenants.services import credentials_rotate


class Command(BaseCommand):
    help = "Re-encrypt every tenant credential with the first key of DOORSTEP_ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        with no_tenant():
            count = credentials_rotate()
        self.stdout.write(f"Re-encrypted {count} credential{'' if count == 1 else 's'} "
                          "with the newest key.")
