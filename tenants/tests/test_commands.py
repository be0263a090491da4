"""Operator commands: create_tenant and rotate_credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tenants import services
from tenants.context import tenant_scope
from tenants.models import Membership, Tenant
from tenants.permissions import Role
from tenants.rls import cross_tenant

pytestmark = pytest.mark.django_db
User = get_user_model()
ROOT = Path(settings.BASE_DIR)


def create_tenant(*args: str) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("create_tenant", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_creates_the_tenant_its_verified_owner_and_a_working_api_key():
    result = create_tenant("northwind", "--name", "Northwind Trails",
                           "--owner-email", "Owner@Northwind.test", "--timezone", "Europe/Berlin")

    tenant = Tenant.objects.get(slug="northwind")
    assert result["tenant"] == {"id": tenant.pk, "slug": "northwind", "name": "Northwind Trails",
                                "timezone": "Europe/Berlin", "default_locale": "en"}
    owner = User.objects.get(email="owner@northwind.test")
    assert EmailAddress.objects.get(user=owner).verified
    with tenant_scope(tenant):
        assert Membership.objects.get(user=owner).role == Role.OWNER
    key = services.api_key_authenticate(result["api_key"]["key"])
    assert key is not None and key.tenant_id == tenant.pk


def test_a_generated_password_is_printed_and_works():
    result = create_tenant("northwind", "--name", "Northwind", "--owner-email", "o@northwind.test")
    password = result["owner"]["password"]
    assert result["owner"]["created"] is True
    assert len(password) >= 15
    assert User.objects.get(email="o@northwind.test").check_password(password)


def test_a_given_password_is_used():
    create_tenant("northwind", "--name", "Northwind", "--owner-email", "o@northwind.test",
                  "--password", "a long enough secret")
    assert User.objects.get(email="o@northwind.test").check_password("a long enough secret")


def test_an_existing_user_becomes_owner_and_keeps_their_password(personas):
    result = create_tenant("second-store", "--name", "Second", "--owner-email", "alice@alpha.test")
    assert result["owner"] == {"id": personas.alice.pk, "email": "alice@alpha.test",
                               "created": False, "password": None}
    with cross_tenant("a test counts one user's stores"):
        assert Membership.objects.unscoped(reason="test").filter(user=personas.alice).count() == 2


def test_a_taken_slug_fails_clearly_and_creates_nothing(personas):
    with pytest.raises(CommandError, match="taken"):
        create_tenant("alpha", "--name", "Copycat", "--owner-email", "new@copy.test")
    assert not User.objects.filter(email="new@copy.test").exists()
    assert Tenant.objects.filter(slug="alpha").count() == 1


@pytest.mark.parametrize(("args", "message"), [
    (("Bad Slug!", "--name", "X", "--owner-email", "o@x.test"), "slug"),
    (("admin", "--name", "X", "--owner-email", "o@x.test"), "reserved"),
    (("okay-slug", "--name", "X", "--owner-email", "not-an-address"), "--owner-email"),
    (("okay-slug", "--name", "  ", "--owner-email", "o@x.test"), "--name"),
    (("okay-slug", "--name", "X", "--owner-email", "o@x.test", "--timezone", "Mars/Base"),
     "time zone"),
])
def test_bad_input_fails_with_a_message_naming_it(args, message):
    with pytest.raises(CommandError, match=message):
        create_tenant(*args)
    assert not Tenant.objects.filter(name="X").exists()
    assert not User.objects.filter(email="o@x.test").exists()


def test_rotate_credentials_reencrypts_with_the_newest_key(personas, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(DOORSTEP_ENCRYPTION_KEYS=[old]), tenant_scope(personas.tenant_a):
        services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": "s3cret"})
    with override_settings(DOORSTEP_ENCRYPTION_KEYS=[new, old]):
        call_command("rotate_credentials")
    assert "Re-encrypted 1 credential with the newest key." in capsys.readouterr().out
    with override_settings(DOORSTEP_ENCRYPTION_KEYS=[new]), tenant_scope(personas.tenant_a):
        assert services.credential_fields(personas.tenant_a, "easypost") == {
            "webhook_secret": "s3cret"}


def test_from_a_shell_it_prints_json_and_a_taken_slug_exits_non_zero(tmp_path):
    """End to end, as an operator's script runs it: a fresh embedded database."""
    env = {"PATH": os.environ["PATH"], "DOORSTEP_VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    assert manage("migrate", "-v0").returncode == 0
    first = manage("create_tenant", "shell-store", "--name", "Shell", "--owner-email", "s@h.test")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["tenant"]["slug"] == "shell-store"
    again = manage("create_tenant", "shell-store", "--name", "Shell", "--owner-email", "t@h.test")
    assert again.returncode != 0
    assert "taken" in again.stderr
