"""A worker's tasks keep their database connection from one task to the next, as requests
do (DATABASE_CONN_MAX_AGE, health check), instead of Celery's default of closing it around
every task: a new PostgreSQL connection cost 4-5 ms and a cold backend each time."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from config.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


class SignalTask:
    """A task as the signals see it: a sender with its request."""

    name = "tests.some_task"

    def __init__(self, *, eager: bool = False) -> None:
        self.request = SimpleNamespace(is_eager=eager)


def run_as_worker(fixup: DjangoWorkerFixup, task) -> None:
    """What a worker does around a task's body: Celery's fixup and every other receiver."""
    fixup.on_task_prerun(sender=task)
    task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    with connection.cursor() as cursor:  # the task's own queries
        cursor.execute("SELECT 1")
    fixup.on_task_postrun(sender=task)
    task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={}, retval=None)


def raw_connection():
    connection.ensure_connection()
    return connection.connection


@pytest.fixture(autouse=True)
def fresh_connection():
    connection.close()  # whatever an earlier test left: a new, healthy one per test


def test_consecutive_tasks_share_one_connection():
    fixup = DjangoWorkerFixup(app)
    before = raw_connection()
    for _ in range(3):
        run_as_worker(fixup, SignalTask())
    assert connection.connection is before  # never closed: Django drops it when it closes


def test_a_connection_past_its_age_is_replaced_before_the_next_task():
    fixup = DjangoWorkerFixup(app)
    old = raw_connection()
    connection.close_at = time.monotonic() - 1  # DATABASE_CONN_MAX_AGE has passed

    run_as_worker(fixup, SignalTask())

    assert raw_connection() is not old


def test_an_eager_task_leaves_its_callers_connection_alone():
    old = raw_connection()
    connection.close_at = time.monotonic() - 1
    task_prerun.send(sender=SignalTask(eager=True), task_id="t", task=None, args=(), kwargs={})
    assert connection.connection is old
