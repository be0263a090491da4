"""The audit log: who did what to which object of a store, when and from which address.
Append-only: rows are written by `audit_record` and never changed or deleted through the
application (the model refuses `save()` of a stored row and `delete()`; no view, API or admin
action edits them). Only deleting the whole store takes its rows along.

    dashboard request ─ dashboard_view ─ audit_origin(address) ─┐
    service (actor, action, object) ──────────────── audit_record ─▶ AuditEntry

The address comes from the request through a context variable set by the one dashboard
gate (tenants/views/base.py), so services record it without taking a request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from .context import require_tenant
from .models import AuditEntry, Tenant

_origin: ContextVar[str | None] = ContextVar("audit_origin", default=None)


@contextlib.contextmanager
def audit_origin(address: str | None) -> Iterator[None]:
    """The client address audit entries written inside get (the dashboard gate sets it)."""
    token = _origin.set(address)
    try:
        yield
    finally:
        _origin.reset(token)


def audit_record(tenant: Tenant, *, actor: str, action: str, summary: str,
                 object_type: str = "", object_id: object = "", data: dict | None = None) -> None:
    """Append an entry, in the caller's transaction. `actor`: "user:<email>", "api:<prefix>";
    `action`: "<area>.<verb>", e.g. "order.note_added", "api_key.revoked"."""
    require_tenant(tenant)  # the caller's scope: row-level security takes the row there only
    address = _origin.get()
    AuditEntry.objects.bulk_create([
        AuditEntry(tenant=tenant, actor=actor[:200], action=action[:64], summary=summary[:500],
                   object_type=object_type[:64], object_id=str(object_id)[:64],
                   ip=address if address and address != "unknown" else None, data=data or {})])


def user_actor(user) -> str:
    """A member as audit entries and order timelines name them."""
    return f"user:{user.email}" if user is not None else "system"
