"""Queueing a tenant task, now or after commit, with one failure policy for a down broker.

    enqueue_on_commit(task, tenant_id, *args)  ── commit ──▶ enqueue(…) ──▶ task.apply_async
                                               └ rollback ─▶ nothing
    enqueue(…): published → True
                broker down (kombu OperationalError) → one warning, False; the work stays
                stored and the caller's periodic sweep queues it later
                anything else (a bad argument, a bug) → raised

Every fast path that queues a task has a sweep behind it that finds the stored work a lost
publish left behind (tracking.tasks.tracking_sweep, orders.tasks.orders_sweep,
messaging's periodic dispatch and messages_sweep), so a down broker costs latency, never
work: that is why the failure is a warning and not an error.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue(task: Task, tenant_id: int, *args: Any, what: str = "", **options: Any) -> bool:
    """Publish `task(tenant_id, *args)` at once; returns whether it was published. `options`
    go to `apply_async` as they are (`kwargs=` for the task's keyword arguments,
    `argsrepr=`…); `what` names the work in the warning (the task's name by default).

    Only what a down or unreachable broker raises is caught: Celery surfaces every
    connection, protocol and broker-side failure of a publish (refused, unknown host, out of
    memory) as kombu's OperationalError, after the short retry policy of config/celery.py."""
    try:
        task.apply_async((tenant_id, *args), **options)
    except OperationalError as exc:
        logger.warning("could not queue %s; the sweep will pick it up: %s", what or task.name,
                       exc, extra={"task": task.name, "tenant_id": tenant_id})
        return False
    return True


def enqueue_on_commit(task: Task, tenant_id: int, *args: Any, what: str = "",
                      **options: Any) -> None:
    """`enqueue` once the current transaction commits (never if it rolls back; at once when
    no transaction is open). The worker must see the rows the caller just wrote, hence after
    commit. Not `robust`: an error other than the broker's is a bug and is raised from the
    commit rather than logged as if the broker were down."""
    transaction.on_commit(functools.partial(enqueue, task, tenant_id, *args, what=what,
                                            **options))
