"""The current tenant, held in a context variable for one request or one task.

    edge (middleware / API key / public token / task decorator / command / test)
        └─ with tenant_scope(tenant):      sets the variable (and the log context), once: a
               │                           scope entered inside it raises TenantScopeReentered
               service(tenant, …)          runs in it (require_tenant checks it is tenant's)
               Model.objects.…             scoped managers filter by it, or raise without it
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from config.logging import tenant_slug_var

if TYPE_CHECKING:
    from tenants.models import Tenant

_current_tenant: ContextVar[Tenant | None] = ContextVar("current_tenant", default=None)


class TenantNotSetError(RuntimeError):
    """A tenant-owned table was queried with no tenant in scope: fail closed."""


class TenantScopeReentered(RuntimeError):
    """A scope was entered inside another (or the same tenant's): only an edge enters it, once;
    code below the edge runs in the scope it is given."""


def _refuse_reentry(tenant: Tenant) -> None:
    current = _current_tenant.get()
    if current is not None:
        raise TenantScopeReentered(
            f"The scope of tenant {tenant.pk} was entered inside the scope of tenant "
            f"{current.pk}. Run in the caller's scope (`require_tenant(tenant)` checks it is "
            "the right one); an edge that serves another tenant starts from `no_tenant()`.")


def get_current_tenant() -> Tenant | None:
    return _current_tenant.get()


def require_current_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSetError(
            "No tenant is set. Enter `tenant_scope(tenant)` at the edge, or leave the scope "
            "explicitly with `Model.objects.unscoped(reason=...)`."
        )
    return tenant


def require_tenant(tenant: Tenant) -> Tenant:
    """For a service that is handed its tenant: the scope in force must be that tenant's (its
    caller's edge entered it). Services never enter the scope themselves; this says so when a
    caller forgot, or passed another tenant than the one in scope."""
    current = _current_tenant.get()
    if current is None or current.pk != tenant.pk:
        raise TenantNotSetError(
            f"This service runs in the scope of tenant {tenant.pk}, and the scope in force is "
            f"{'empty' if current is None else f'tenant {current.pk}'}: enter "
            "`tenant_scope(tenant)` at the edge (a request, a task, a command, a test).")
    return current


@contextmanager
def tenant_scope(tenant: Tenant) -> Iterator[Tenant]:
    if tenant is None:
        raise TenantNotSetError("tenant_scope() needs a tenant")
    _refuse_reentry(tenant)
    token = _current_tenant.set(tenant)
    log_token = tenant_slug_var.set(tenant.slug)
    try:
        yield tenant
    finally:
        tenant_slug_var.reset(log_token)
        _current_tenant.reset(token)


def activate_tenant(tenant: Tenant) -> None:
    """Set the tenant inside an enclosing `no_tenant()` block (middleware, API authentication),
    which restores the slot when the request ends."""
    _refuse_reentry(tenant)
    _current_tenant.set(tenant)
    tenant_slug_var.set(tenant.slug)


@contextmanager
def no_tenant() -> Iterator[None]:
    """Run a block that starts with no tenant set, and restore the outer tenant after it.

    Each request runs in one (the middleware): the edge that resolves the tenant fills the
    slot with `activate_tenant`, and it is emptied when the request ends, so a worker thread
    can never carry one request's tenant into the next. Operator commands use it so they do
    not inherit a tenant."""
    token = _current_tenant.set(None)
    log_token = tenant_slug_var.set("-")
    try:
        yield
    finally:
        tenant_slug_var.reset(log_token)
        _current_tenant.reset(token)
