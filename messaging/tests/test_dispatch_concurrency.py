"""Two dispatchers (or two deliveries of one task) at the same moment still send each message
once: PostgreSQL's row locks decide (FOR UPDATE SKIP LOCKED when claiming)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from messaging import dispatch
from messaging.models import Message
from tenants.context import tenant_scope

from .dispatch_support import make_customer, make_message, make_order, reload

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("no_rate_limits")]


def in_threads(count: int, work) -> list[BaseException]:
    start, errors = threading.Barrier(count), []

    def run(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the caller's assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_two_dispatchers_running_at_once_send_every_message_exactly_once(
        personas, dispatch_clock, fake_sendgrid):
    tenant = personas.tenant_a
    messages = [make_message(tenant, due_at=dispatch_clock.now) for _ in range(40)]
    claimed = [0, 0]

    def dispatcher(index: int) -> None:
        with tenant_scope(tenant):
            while (n := dispatch.messages_dispatch_due(tenant, limit=7)):
                claimed[index] += n

    assert in_threads(2, dispatcher) == []

    assert sum(claimed) == 40
    sent_ids = sorted(int(mail["custom_args"]["doorstep_message_id"]) for mail in fake_sendgrid.mails)
    assert sent_ids == sorted(m.pk for m in messages)
    with tenant_scope(tenant):
        assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}


def test_the_same_send_task_delivered_twice_at_once_sends_once(personas, dispatch_clock,
                                                               fake_sendgrid):
    tenant = personas.tenant_a
    message = make_message(tenant, due_at=dispatch_clock.now, status=Message.Status.QUEUED)
    outcomes = []

    def send(_: int) -> None:
        with tenant_scope(tenant):
            outcomes.append(dispatch.message_send(tenant, message.pk))

    assert in_threads(2, send) == []

    assert len(fake_sendgrid.requests) == 1
    assert sorted(outcomes) == ["sending", "sent"] or outcomes == ["sent", "sent"]


def test_two_dispatchers_claiming_one_orders_review_requests_at_once_queue_one(
        personas, dispatch_clock, monkeypatch):
    tenant = personas.tenant_a
    customer = make_customer(tenant, marketing_email_consent=True)
    order = make_order(tenant, customer)
    requests = [make_message(tenant, due_at=dispatch_clock.now, customer=customer, order=order,
                             milestone="review_request") for _ in range(2)]
    monkeypatch.setattr("messaging.tasks.messages_send_batch.apply_async",
                        lambda args, **options: None)
    # Each has claimed its own row (SKIP LOCKED) before either reads which went out.
    both_claimed, real_facts = threading.Barrier(2, timeout=10), dispatch.messages_facts

    def facts_once_both_claimed(*args, **kwargs):
        both_claimed.wait()
        return real_facts(*args, **kwargs)

    monkeypatch.setattr(dispatch, "messages_facts", facts_once_both_claimed)
    claimed = []

    def dispatcher(_: int) -> None:
        with tenant_scope(tenant):
            claimed.append(dispatch.messages_dispatch_due(tenant, limit=1))

    assert in_threads(2, dispatcher) == []

    assert claimed == [1, 1]
    after = {m.pk: reload(m) for m in requests}
    assert sorted(m.status for m in after.values()) == [Message.Status.QUEUED,
                                                        Message.Status.SUPPRESSED]
    assert {m.status_reason for m in after.values() if m.status == Message.Status.SUPPRESSED} == {
        "A “Review request” for this order was already sent."}
