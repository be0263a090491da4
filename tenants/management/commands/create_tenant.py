"""`manage.py create_tenant <slug> --name … --owner-email … [--password …]`

Creates a store, its owner (with a verified address) and an API key, and prints them as one
JSON object on stdout, for operators and scripts:

    {"tenant": {…}, "owner": {"email": …, "created": true, "password": …}, "api_key": {"key": …}}

An owner who already has an account keeps it (and its password: `"password": null`). Any
problem exits non-zero with a message on stderr, and nothing is created.
"""

from __future__ import annotations

import json
import secrets

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from config.errors import ApplicationError
from tenants import services
from tenants.context import no_tenant, tenant_scope
from tenants.permissions import ApiKeyScope


def _describe(error: ApplicationError) -> str:
    details = "; ".join(f"{field}: {' '.join(map(str, msgs))}"
                        for field, msgs in error.details.items() if isinstance(msgs, list))
    return f"{error.message} {details}".strip() if details else error.message


class Command(BaseCommand):
    help = "Create a tenant with its owner and an API key; prints them as JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the store's address, e.g. acme (3-50 of a-z, 0-9, -)")
        parser.add_argument("--name", required=True, help="the store's name as shoppers know it")
        parser.add_argument("--owner-email", required=True, help="the owner's e-mail address")
        parser.add_argument("--password", help="the owner's password (default: generated, printed)")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/Berlin")
        parser.add_argument("--locale", default="en", help="default locale of shopper messages")
        parser.add_argument("--api-key-name", default="Initial key", help="name of the API key")
        parser.add_argument("--api-key-scope", default=ApiKeyScope.READ_WRITE,
                            choices=ApiKeyScope.values)

    def handle(self, *args, **options) -> None:
        email = options["owner_email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"--owner-email: {email!r} is not an e-mail address.") from None
        if not options["name"].strip():
            raise CommandError("--name: give the store a name.")
        try:
            with no_tenant(), transaction.atomic():
                payload = self._create(email, options)
        except ApplicationError as error:
            raise CommandError(_describe(error)) from None
        self.stdout.write(json.dumps(payload, indent=2))

    def _create(self, email: str, options: dict) -> dict:
        User = get_user_model()
        owner = User.objects.filter(email__iexact=email).first()
        password = None
        if owner is None:
            password = options["password"] or secrets.token_urlsafe(15)
            owner = User(email=email,
                         username=get_adapter().generate_unique_username([email.split("@")[0]]))
            try:
                validate_password(password, owner)
            except ValidationError as error:
                raise CommandError("--password: " + " ".join(error.messages)) from None
            owner.set_password(password)
            owner.save()
        elif options["password"]:
            raise CommandError(f"{email} already has an account; leave out --password "
                               "(their password is not changed).")
        # An operator vouches for the address, so the owner can log in at once.
        EmailAddress.objects.update_or_create(user=owner, email=email,
                                              defaults={"verified": True, "primary": True})
        tenant = services.tenant_create(name=options["name"], owner=owner, slug=options["slug"],
                                        timezone_name=options["timezone"], locale=options["locale"])
        with tenant_scope(tenant):  # the store just made: its first key
            key, raw_key = services.api_key_create(tenant, name=options["api_key_name"],
                                                   scope=options["api_key_scope"], actor=owner)
        return {
            "tenant": {"id": tenant.pk, "slug": tenant.slug, "name": tenant.name,
                       "timezone": tenant.timezone, "default_locale": tenant.default_locale},
            "owner": {"id": owner.pk, "email": owner.email, "created": password is not None,
                      "password": password},
            "api_key": {"id": key.pk, "name": key.name, "scope": key.scope, "prefix": key.prefix,
                        "key": raw_key},
        }
