"""A real Celery worker (in a thread) against the real Redis broker.

Proves what the eager test mode cannot: a `tenant_task` runs inside its tenant's scope in
the worker, and `tenants.queueing.enqueue_on_commit` publishes only once the transaction has
committed, so the worker always finds the rows the task was queued for.
"""

from __future__ import annotations

import threading
import time
import uuid
from unittest import mock

import pytest
from celery import shared_task
from celery.result import EagerResult
from django.db import transaction

from config.celery import app
from orders.models import Customer
from tenants.context import get_current_tenant, tenant_scope
from tenants.queueing import enqueue_on_commit
from tenants.tasks import tenant_task
from tests.celery_support import worker_running

pytestmark = [pytest.mark.django_db(transaction=True)]


@tenant_task(name="tests.celery_worker.record_scope")
def record_scope(tenant_id: int, external_id: str) -> None:
    # A scoped create without a tenant argument: possible only inside the tenant's scope.
    # A fresh suffix per run, so a message delivered twice would show as two rows.
    Customer.objects.create(external_id=f"{external_id}:{uuid.uuid4().hex}",
                            first_name=get_current_tenant().slug,
                            last_name=threading.current_thread().name)


@tenant_task(name="tests.celery_worker.confirm_customer")
def confirm_customer(tenant_id: int, external_id: str) -> None:
    """Marks a customer written in the queuing transaction; fails if it is not visible."""
    customer = Customer.objects.get(external_id=external_id)
    Customer.objects.create(external_id=f"{external_id}-seen", first_name=customer.external_id)


def _wait_for(tenant, external_id: str, timeout: float = 15.0) -> Customer:
    """The customer the worker writes under this external id (or its prefix)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with tenant_scope(tenant):
            found = Customer.objects.filter(external_id__startswith=external_id).first()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"the worker did not write {external_id!r} within {timeout} s")


def test_a_tenant_task_runs_inside_its_tenants_scope_in_the_worker(personas, real_worker):
    result = record_scope.delay(personas.tenant_b.pk, "from-worker")

    assert not isinstance(result, EagerResult)  # published to Redis, not run inline
    customer = _wait_for(personas.tenant_b, "from-worker")
    assert customer.tenant_id == personas.tenant_b.pk
    assert customer.first_name == "beta"
    assert customer.last_name != threading.current_thread().name  # the worker's thread
    with tenant_scope(personas.tenant_a):
        assert not Customer.objects.filter(external_id__startswith="from-worker").exists()
    time.sleep(0.5)  # a duplicate delivery (one per queue, say) would have run by now
    with tenant_scope(personas.tenant_b):
        assert Customer.objects.filter(external_id__startswith="from-worker").count() == 1


def test_enqueue_on_commit_publishes_only_after_the_commit(personas, real_worker):
    tenant = personas.tenant_a
    with mock.patch.object(confirm_customer, "apply_async",
                           wraps=confirm_customer.apply_async) as published:
        with transaction.atomic(), tenant_scope(tenant):
            Customer.objects.create(external_id="c-42")
            enqueue_on_commit(confirm_customer, tenant.pk, "c-42")
            # Give a wrongly early message every chance to reach the worker.
            time.sleep(0.5)
            assert published.call_count == 0
        assert published.call_count == 1

    seen = _wait_for(tenant, "c-42-seen")
    assert seen.first_name == "c-42"


def test_a_task_for_a_rolled_back_transaction_is_never_queued(personas, real_worker):
    tenant = personas.tenant_a
    with (mock.patch.object(record_scope, "apply_async") as published,
          pytest.raises(RuntimeError), transaction.atomic()):
        enqueue_on_commit(record_scope, tenant.pk, "never")
        raise RuntimeError("roll back")
    assert published.call_count == 0


def test_a_task_defined_after_a_worker_stopped_is_still_registered():
    # A task module imported after a worker ran (by the next test, say) must still reach the
    # app: a worker that took the app out of Celery's active apps left it NotRegistered.
    with worker_running():
        pass

    @shared_task(name="tests.celery_worker.defined_late")
    def defined_late() -> str:
        return "ran"

    assert "tests.celery_worker.defined_late" in app.tasks
    assert defined_late.delay().get(timeout=5) == "ran"  # eager again, as the settings say
