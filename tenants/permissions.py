"""The one permission matrix. Every dashboard view and API endpoint names a `Perm`; whether a
member (by role) or an API key (by scope) holds it is decided here and nowhere else."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"  # everything, including billing-level decisions and ownership
    ADMIN = "admin", "Admin"  # everything but transferring or closing the account
    MARKETER = "marketer", "Marketer"  # brand, journeys, templates, analytics
    AGENT = "agent", "Agent"  # support: orders, shipments, messages, returns
    VIEWER = "viewer", "Viewer"  # read-only


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


class Perm(models.TextChoices):
    DASHBOARD_VIEW = "dashboard.view"
    TENANT_VIEW = "tenant.view"
    TENANT_MANAGE = "tenant.manage"  # name, timezone, locale, 2FA enforcement
    BRAND_VIEW = "brand.view"
    BRAND_MANAGE = "brand.manage"
    MEMBERS_VIEW = "members.view"
    MEMBERS_MANAGE = "members.manage"
    API_KEYS_MANAGE = "api_keys.manage"
    CREDENTIALS_VIEW = "credentials.view"
    CREDENTIALS_MANAGE = "credentials.manage"
    ORDERS_VIEW = "orders.view"
    ORDERS_MANAGE = "orders.manage"
    MESSAGES_VIEW = "messages.view"
    MESSAGES_MANAGE = "messages.manage"  # resend, correct
    JOURNEYS_VIEW = "journeys.view"
    JOURNEYS_MANAGE = "journeys.manage"
    RETURNS_VIEW = "returns.view"
    RETURNS_MANAGE = "returns.manage"
    ANALYTICS_VIEW = "analytics.view"
    AUDIT_VIEW = "audit.view"  # the audit log: owners and admins


_READ = {
    Perm.DASHBOARD_VIEW, Perm.TENANT_VIEW, Perm.BRAND_VIEW, Perm.ORDERS_VIEW, Perm.MESSAGES_VIEW,
    Perm.JOURNEYS_VIEW, Perm.RETURNS_VIEW, Perm.ANALYTICS_VIEW,
}
_ALL = set(Perm)

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.OWNER: frozenset(_ALL),
    Role.ADMIN: frozenset(_ALL),
    Role.MARKETER: frozenset(_READ | {Perm.BRAND_MANAGE, Perm.JOURNEYS_MANAGE}),
    Role.AGENT: frozenset(_READ | {Perm.ORDERS_MANAGE, Perm.MESSAGES_MANAGE, Perm.RETURNS_MANAGE}),
    Role.VIEWER: frozenset(_READ),
}

# API keys act for the retailer's systems: a read key reads; a read-write key also writes
# data and configuration, but never manages people or other keys.
API_KEY_PERMISSIONS: dict[str, frozenset[Perm]] = {
    ApiKeyScope.READ: frozenset(_READ | {Perm.CREDENTIALS_VIEW}),
    ApiKeyScope.READ_WRITE: frozenset(_ALL - {Perm.MEMBERS_MANAGE, Perm.API_KEYS_MANAGE,
                                              Perm.AUDIT_VIEW}),
}

# Roles an inviter may hand out: nobody creates someone more powerful than themselves.
ASSIGNABLE_ROLES: dict[str, tuple[str, ...]] = {
    Role.OWNER: tuple(Role.values),
    Role.ADMIN: (Role.ADMIN, Role.MARKETER, Role.AGENT, Role.VIEWER),
}


def role_has(role: str, perm: Perm | str) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())


def scope_has(scope: str, perm: Perm | str) -> bool:
    return perm in API_KEY_PERMISSIONS.get(scope, frozenset())
