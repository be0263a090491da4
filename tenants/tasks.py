"""Tenant-scoped Celery tasks and the tenants app's periodic jobs.

    @tenant_task(queue="messages")
    def messages_send_batch(tenant_id: int, message_ids: list[int]): ...   # inside tenant_scope

Tasks take ids, never objects, and are queued after commit through tenants/queueing.py
(`enqueue_on_commit(task, tenant_id, ...)`: one failure policy for a down broker).
"""

from __future__ import annotations

import functools
import logging

from celery import shared_task

from .context import no_tenant, tenant_scope
from .models import Tenant

logger = logging.getLogger(__name__)


def tenant_task(*task_args, **task_kwargs):
    """Like `shared_task`, for a function whose first argument is `tenant_id`: it runs inside
    that tenant's scope. A task for a tenant that is gone or not active is dropped, logged.
    The function finds the tenant itself, read once here, with `require_current_tenant()`."""

    if len(task_args) == 1 and callable(task_args[0]) and not task_kwargs:
        return tenant_task()(task_args[0])

    def decorate(func):
        @functools.wraps(func)
        def run(tenant_id: int, *args, **kwargs):
            tenant = Tenant.objects.filter(pk=tenant_id).first()
            if tenant is None or not tenant.is_active:
                logger.warning("task skipped: tenant missing or inactive",
                               extra={"task": func.__name__, "tenant_id": tenant_id})
                return None
            # A task is an edge of its own: run eagerly (tests, CELERY_TASK_ALWAYS_EAGER) it
            # starts from an empty slot too, as in a worker, never in its caller's scope.
            with no_tenant(), tenant_scope(tenant):
                return func(tenant_id, *args, **kwargs)

        return shared_task(*task_args, **task_kwargs)(run)

    return decorate


def tenants_fan_out(task) -> int:
    """Queue `task(tenant_id)` once per active tenant: cross-tenant sweeps run per tenant."""
    ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("pk", flat=True))
    for tenant_id in ids:
        task.delay(tenant_id)
    return len(ids)


@tenant_task(name="tenants.tasks.inbound_purge", queue="ingest")
def inbound_purge(tenant_id: int) -> tuple[int, int]:
    from .context import require_current_tenant
    from .inbound import inbound_purge as purge

    return purge(require_current_tenant())


@shared_task(name="tenants.tasks.inbound_purge_all")
def inbound_purge_all() -> int:
    """The webhook archive's retention (tenants/inbound.py), store by store."""
    return tenants_fan_out(inbound_purge)


@shared_task(name="tenants.tasks.invitations_expire")
def invitations_expire() -> int:
    from .services import invitations_purge_expired

    return invitations_purge_expired()
