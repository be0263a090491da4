"""The one way to queue a task: published once after commit, never after a rollback; a down
broker is one warning (the sweeps pick the work up), any other error is raised.

The tasks here live on an app of their own, with the project's publish retry policy: one
whose broker is kombu's in-memory transport (so a publish is real and observable through
Celery's `after_task_publish` signal), one whose broker is a dead address. The project's
app and its test settings (eager tasks) stay as they are."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from celery import Celery
from celery.signals import after_task_publish
from django.db import transaction

from config.celery import app as project_app
from tenants.queueing import enqueue, enqueue_on_commit

pytestmark = pytest.mark.django_db

TASK = "tests.queueing.notify"
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


def notify_task(broker_url: str):
    """`notify(tenant_id, note="")` on an app whose broker is `broker_url`."""
    queue_app = Celery("queueing-test", broker=broker_url, set_as_current=False)
    queue_app.conf.task_publish_retry_policy = project_app.conf.task_publish_retry_policy

    @queue_app.task(name=TASK)
    def notify(tenant_id: int, note: str = "") -> None:
        """Never runs: nothing consumes these queues."""

    return notify


@pytest.fixture
def notify():
    return notify_task("memory://")


@pytest.fixture
def published() -> Iterator[list[list]]:
    """The arguments of each notify task that reached the broker."""
    sent: list[list] = []

    def record(sender=None, body=None, **kwargs) -> None:
        sent.append(list(body[0]))  # protocol 2: (args, kwargs, embed)

    after_task_publish.connect(record, sender=TASK, weak=False)
    yield sent
    after_task_publish.disconnect(record, sender=TASK)


def warnings_of(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "tenants.queueing"]


def test_a_task_queued_on_commit_is_published_once_after_the_commit(
        notify, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(notify, 7, "hello")
        assert published == []  # the worker could not see the rows yet

    assert published == [[7, "hello"]]


def test_a_rolled_back_transaction_publishes_nothing(
        notify, published, django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        enqueue_on_commit(notify, 7, "hello")
        raise RuntimeError("the write failed")

    assert callbacks == []
    assert published == []


def test_enqueue_publishes_at_once_with_the_options_given(notify, published):
    assert enqueue(notify, 7, kwargs={"note": "now"}, argsrepr="(7,)") is True

    assert published == [[7]]


def test_a_down_broker_is_one_warning_naming_the_task_and_tenant_and_no_error(
        caplog, django_capture_on_commit_callbacks):
    notify = notify_task(DEAD_BROKER)

    with caplog.at_level(logging.WARNING, logger="tenants.queueing"):
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit(notify, 7, "hello", what="the test notice")
        assert enqueue(notify, 8) is False

    first, second = warnings_of(caplog)
    assert first.levelno == logging.WARNING
    assert first.task == TASK and first.tenant_id == 7
    assert "could not queue the test notice" in first.getMessage()
    assert "Connection refused" in first.getMessage()
    assert first.exc_info is None  # a down broker is not a bug: no traceback
    assert second.tenant_id == 8 and f"could not queue {TASK}" in second.getMessage()


def test_arguments_the_task_does_not_take_are_raised_not_logged(
        notify, published, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.WARNING, logger="tenants.queueing"):
        with pytest.raises(TypeError):
            enqueue(notify, 7, "hello", "unexpected")
        with pytest.raises(TypeError), django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit(notify, 7, "hello", "unexpected")

    assert published == []
    assert warnings_of(caplog) == []


def test_an_error_of_the_publish_that_is_not_the_brokers_is_raised(notify, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ValueError("not a broker failure")

    monkeypatch.setattr(notify, "apply_async", broken)
    with (caplog.at_level(logging.WARNING, logger="tenants.queueing"),
          pytest.raises(ValueError, match="not a broker failure")):
        enqueue(notify, 7)

    assert warnings_of(caplog) == []
