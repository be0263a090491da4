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
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections, transaction

from config.celery import app
from orders.models import Customer
from tenants.context import get_current_tenant, tenant_scope
from tenants.queueing import enqueue_on_commit
from tenants.tasks import tenant_task

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


def _close_worker_connections(**kwargs) -> None:
    # The worker thread has its own database connections; close them after each task so
    # the test database can be flushed and dropped.
    connections.close_all()


KEYS = ("task_always_eager", "broker_url")  # what the worker fixture sets on the app


@pytest.fixture
def worker():
    # What this test sets, as the app's own changes were (most come from the settings, read
    # through: restoring them as changes would pin them, and a later override_settings of
    # the broker — the health check's test — would no longer reach the app).
    saved = {key: app.conf.changes[key] for key in KEYS if key in app.conf.changes}
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    app.close()  # drop a producer pool made for another broker
    app.loader.import_default_modules()  # every task registered, whatever ran before
    task_postrun.connect(_close_worker_connections, weak=False)
    try:
        app.control.purge()  # nothing left over from an earlier run
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING",
                          shutdown_timeout=30) as started:
            yield started
    finally:
        task_postrun.disconnect(_close_worker_connections)
        for key in KEYS:
            if key in saved:
                app.conf[key] = saved[key]
            else:
                app.conf.pop(key, None)
        app.close()


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


def test_a_tenant_task_runs_inside_its_tenants_scope_in_the_worker(personas, worker):
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


def test_enqueue_on_commit_publishes_only_after_the_commit(personas, worker):
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


def test_a_task_for_a_rolled_back_transaction_is_never_queued(personas, worker):
    tenant = personas.tenant_a
    with (mock.patch.object(record_scope, "apply_async") as published,
          pytest.raises(RuntimeError), transaction.atomic()):
        enqueue_on_commit(record_scope, tenant.pk, "never")
        raise RuntimeError("roll back")
    assert published.call_count == 0
