"""Who can log in to the demo store: the owner, a support agent and a read-only viewer, so a
newcomer sees what each role may do. `scripts/demo.py` prints `DEMO_LOGINS`.

Each user is verified (no confirmation e-mail to click) and its password is reset to the
known one on every seed, so a password changed while exploring never locks the demo.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from tenants.models import Membership, Tenant
from tenants.permissions import Role

DEMO_EMAIL = "demo@acme.test"
DEMO_PASSWORD = "doorstep-demo"

# (role, e-mail, password, first name, last name); the owner comes first.
_PEOPLE: list[tuple[str, str, str, str, str]] = [
    (Role.OWNER, DEMO_EMAIL, DEMO_PASSWORD, "Dana", "Demo"),
    (Role.AGENT, "agent@acme.test", DEMO_PASSWORD, "Alex", "Agent"),
    (Role.VIEWER, "viewer@acme.test", DEMO_PASSWORD, "Vic", "Viewer"),
]
DEMO_LOGINS: list[tuple[str, str, str]] = [(role, email, password)
                                           for role, email, password, _, _ in _PEOPLE]


def demo_user_ensure(email: str, password: str, *, first_name: str,
                     last_name: str) -> tuple[AbstractBaseUser, bool]:
    """The user with this address, verified and with this password; says whether it changed."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    changed = False
    if user is None:
        username = get_adapter().generate_unique_username([first_name, email])
        user = User.objects.create_user(username=username, email=email, password=password,
                                        first_name=first_name, last_name=last_name)
        changed = True
    elif not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
        changed = True
    _, made = EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True})
    return user, changed or made


def demo_team_ensure(tenant: Tenant) -> bool:
    """The agent and the viewer, members of the demo store with their roles (the owner is
    made with the store itself), in the store's scope (the seeder's). Says whether anything
    changed."""
    changed = False
    for role, email, password, first_name, last_name in _PEOPLE[1:]:
        user, made = demo_user_ensure(email, password, first_name=first_name,
                                      last_name=last_name)
        membership, created = Membership.objects.get_or_create(user=user,
                                                               defaults={"role": role})
        if membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
            created = True
        changed |= made or created
    return changed
