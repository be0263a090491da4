"""A real Celery worker for the tests that need one: loaded by the root conftest
(`pytest_plugins`), used as the `real_worker` fixture.

The worker runs in a thread (solo pool) on the test run's Redis broker and consumes every
queue (ingest, messages, default); the eager mode cannot show what it shows: a task running
in its tenant's scope in another thread, a task published only after its transaction
committed, a journey carried by tasks as production carries it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections

from config.celery import app

# What the fixture sets on the app. Restored as the app's own changes were: most values come
# from the settings, read through, and restoring them as changes would pin them (a later
# override_settings of the broker — the health check's test — would no longer reach the app).
KEYS = ("task_always_eager", "broker_url")


def _close_worker_connections(**kwargs) -> None:
    # The worker thread has its own database connections; closed after each task so the test
    # database can be flushed and dropped.
    connections.close_all()


@contextmanager
def worker_running() -> Iterator:
    """The worker, started and stopped. Never `app.close()`: it takes the app out of
    Celery's active apps, and a task module imported after that (`shared_task`) is never
    registered with it: the next test queuing that task would fail with NotRegistered."""
    saved = {key: app.conf.changes[key] for key in KEYS if key in app.conf.changes}
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
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


@pytest.fixture
def real_worker():
    with worker_running() as started:
        yield started
