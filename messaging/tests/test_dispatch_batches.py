"""Dispatch in batches: a claimed batch is checked and rendered together when it is claimed,
queued as send tasks of many ids, and sent with the checks, rate limits and records done per
batch, without giving up exactly once, suppression or the uncertain state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging import dispatch
from messaging.dispatch import messages_dispatch_due
from messaging.models import Message, MessageEvent, Suppression, Template
from messaging.outcomes import messages_update
from messaging.ratelimit import rate_take, rate_take_many
from messaging.rendering import template_version_save
from orders.models import OrderEvent
from tenants.context import tenant_scope

from .dispatch_support import make_customer, make_message, make_order, reload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]
S = Message.Status


@pytest.fixture
def clock(dispatch_clock):
    return dispatch_clock


@pytest.fixture
def sms_version(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        template = Template.objects.create(key="batch-sms", name="Batch", channel="sms")
        return template_version_save(tenant, template, locale="en", subject="", preheader="",
                                     body="Hi {{ customer.first_name }}, {{ order.number }} is on "
                                          "its way.")


def unrendered(tenant, version, clock, **fields) -> Message:
    return make_message(tenant, "sms", due_at=clock.now, text_body="", template_version=version,
                        **fields)


def test_a_claimed_batch_is_rendered_and_queued_as_one_send_task(
        personas, clock, sms_version, django_capture_on_commit_callbacks, monkeypatch):
    tenant = personas.tenant_a
    messages = [unrendered(tenant, sms_version, clock) for _ in range(5)]
    published: list[list[int]] = []
    monkeypatch.setattr("messaging.tasks.messages_send_batch.apply_async",
                        lambda args, **options: published.append(args[1]))

    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        assert messages_dispatch_due(tenant) == 5

    assert published == [[m.pk for m in messages]]
    for message in map(reload, messages):
        assert message.status == S.QUEUED
        assert message.text_body.startswith("Hi Sam, #")
        assert (message.template_version_id, message.locale) == (sms_version.pk, "en")


def test_a_batch_costs_the_same_queries_whatever_its_size(personas, clock, sms_version):
    tenant = personas.tenant_a

    def claim(count: int) -> int:
        for _ in range(count):
            unrendered(tenant, sms_version, clock)
        with tenant_scope(tenant), CaptureQueriesContext(connection) as queries:
            assert messages_dispatch_due(tenant) == count
        return len(queries)

    assert claim(2) == claim(12)


def test_a_stop_after_the_claim_suppresses_the_message_when_its_task_runs(
        personas, clock, sms_version, fake_twilio, django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    customer = make_customer(tenant)
    message = unrendered(tenant, sms_version, clock, customer=customer)
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=False):
        messages_dispatch_due(tenant)  # rendered and queued; its task has not run yet
    with tenant_scope(tenant):
        Suppression.objects.create(channel="sms", address=customer.phone, reason="sms_stop",
                                   source="twilio")

        assert dispatch.messages_send(tenant, [message.pk]) == {S.SUPPRESSED: 1}

    message = reload(message)
    assert message.status_reason == f"{customer.phone} is on the suppression list (replied stop)."
    assert fake_twilio.requests == []


def test_two_review_requests_of_one_order_in_one_batch_send_one(personas, clock, fake_sendgrid,
                                                                django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    customer = make_customer(tenant, marketing_email_consent=True)
    order = make_order(tenant, customer)
    first, second = (make_message(tenant, due_at=clock.now, customer=customer, order=order,
                                  milestone="review_request") for _ in range(2))

    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        messages_dispatch_due(tenant)

    assert reload(first).status == S.SENT
    assert reload(second).status == S.SUPPRESSED
    assert reload(second).status_reason == "A “Review request” for this order was already sent."
    assert len(fake_sendgrid.requests) == 1


def test_a_crash_while_sending_one_message_leaves_it_sending_and_the_rest_go(
        personas, clock, fake_sendgrid, monkeypatch):
    from messaging.providers import SendGridTransport

    tenant = personas.tenant_a
    messages = [make_message(tenant, due_at=clock.now, status=S.QUEUED) for _ in range(3)]
    real_send, calls = SendGridTransport.send, []

    def send(self, message):
        calls.append(message.pk)
        if len(calls) == 2:
            raise RuntimeError("worker lost its network mid-call")
        return real_send(self, message)

    monkeypatch.setattr(SendGridTransport, "send", send)
    with tenant_scope(tenant):
        outcome = dispatch.messages_send(tenant, [m.pk for m in messages])

    assert outcome == {S.SENT: 2, "crashed": 1}
    assert [reload(m).status for m in messages] == [S.SENT, S.SENDING, S.SENT]
    with tenant_scope(tenant):  # the sweep later makes the crashed one uncertain, never resent
        assert dispatch.messages_sweep(tenant, now=clock.now + timedelta(minutes=11)) == {
            "uncertain": 1, "requeued": 0}
        timeline = list(OrderEvent.objects.filter(kind="message").values_list("summary", flat=True))
    assert reload(messages[1]).status == S.UNCERTAIN
    assert sum("sent via sendgrid" in line for line in timeline) == 2
    assert len(fake_sendgrid.requests) == 2


def test_a_batch_of_sends_records_each_message_once(personas, clock, fake_sendgrid):
    tenant = personas.tenant_a
    messages = [make_message(tenant, due_at=clock.now, status=S.QUEUED) for _ in range(4)]
    with tenant_scope(tenant):
        assert dispatch.messages_send(tenant, [m.pk for m in messages]) == {S.SENT: 4}
        # the same task delivered again sends nothing and records nothing more
        assert dispatch.messages_send(tenant, [m.pk for m in messages]) == {S.SENT: 4}
        events = list(MessageEvent.objects.values_list("message_id", "kind"))
    assert sorted(events) == sorted((m.pk, "sent") for m in messages)
    assert len(fake_sendgrid.requests) == 4
    for message in map(reload, messages):
        assert message.provider == "sendgrid" and message.provider_message_id
        assert message.sent_at == clock.now and message.attempts == 1


def test_a_batch_write_never_touches_another_tenants_rows(personas, clock):
    ours = make_message(personas.tenant_a, due_at=clock.now)
    theirs = make_message(personas.tenant_b, due_at=clock.now)
    for message in (ours, theirs):
        message.subject = "changed"
    with tenant_scope(personas.tenant_a), pytest.raises(ValueError, match="tenant"):
        messages_update(personas.tenant_a, [ours, theirs], ["subject"])
    assert reload(theirs).subject == "Your order is confirmed"
    with tenant_scope(personas.tenant_a):
        messages_update(personas.tenant_a, [ours], ["subject"])
    assert reload(ours).subject == "changed"


def test_taking_many_sends_at_once_waits_as_taking_them_one_by_one(settings):
    now = datetime(2026, 3, 9, 10, 0, 0, 250000, tzinfo=UTC)
    one_by_one = [rate_take("test-one:a", 2, now=now) for _ in range(5)]
    assert rate_take_many("test-many:a", 2, 5, now=now) == one_by_one
    assert one_by_one[:2] == [0.0, 0.0] and one_by_one[2] == pytest.approx(0.75)
    slow = datetime(2026, 3, 9, 10, 0, 0, tzinfo=UTC)
    assert rate_take_many("test-many:b", 0.5, 3, now=slow) == [
        rate_take("test-one:b", 0.5, now=slow) for _ in range(3)]


def test_rendered_bodies_are_compressed_with_lz4_where_postgresql_has_it():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                       "AND 'lz4' = ANY(enumvals)")
        expected = "l" if cursor.fetchone() else ""
        cursor.execute("SELECT attname, attcompression FROM pg_attribute WHERE attrelid = "
                       "'messaging_message'::regclass AND attname IN ('html_body', 'text_body')")
        assert dict(cursor.fetchall()) == {"html_body": expected, "text_body": expected}


def test_a_queued_message_without_content_is_rendered_and_kept_by_its_send_task(
        personas, clock, sms_version, fake_twilio):
    """Queued before dispatch rendered at claim time (an upgrade), or by hand: the send task
    renders it, stores what it sends, and sends it."""
    tenant = personas.tenant_a
    message = unrendered(tenant, sms_version, clock, status=S.QUEUED)

    with tenant_scope(tenant):
        assert dispatch.messages_send(tenant, [message.pk]) == {S.SENT: 1}

    message = reload(message)
    assert message.text_body.startswith("Hi Sam, #")
    assert fake_twilio.sent[0]["Body"] == message.text_body


@pytest.fixture
def dispatch_runs_asked(monkeypatch) -> list[tuple]:
    """Every messages_dispatch_due a run asks for, as (args, kwargs), instead of publishing
    it; send tasks are not published either."""
    from messaging import tasks

    asked: list[tuple] = []
    monkeypatch.setattr(tasks.messages_dispatch_due, "apply_async",
                        lambda args, kwargs=None, **options: asked.append((args, kwargs)))
    monkeypatch.setattr(tasks.messages_send_batch, "apply_async", lambda args, **options: None)
    return asked


def test_a_full_claim_asks_one_helper_task_to_share_the_backlog(
        personas, clock, sms_version, django_capture_on_commit_callbacks, dispatch_runs_asked):
    from messaging import tasks

    tenant, asked = personas.tenant_a, dispatch_runs_asked
    messages = [unrendered(tenant, sms_version, clock) for _ in range(5)]

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.messages_dispatch_due(tenant.pk, limit=2) == 5

    assert asked == [((tenant.pk, 2), {"helper": True})]  # one, though two claims were full
    assert {reload(m).status for m in messages} == {S.QUEUED}

    asked.clear()
    more = [unrendered(tenant, sms_version, clock) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.messages_dispatch_due(tenant.pk, limit=2, helper=True) == 3
        assert tasks.messages_dispatch_due(tenant.pk, limit=2) == 0
    assert asked == []  # a helper asks for none; nor does a run that finds no backlog
    assert {reload(m).status for m in more} == {S.QUEUED}


def test_a_run_that_ends_on_a_full_claim_hands_over_to_a_new_task(
        personas, clock, sms_version, django_capture_on_commit_callbacks, dispatch_runs_asked,
        monkeypatch):
    from messaging import tasks

    tenant, asked = personas.tenant_a, dispatch_runs_asked
    messages = [unrendered(tenant, sms_version, clock) for _ in range(5)]
    monkeypatch.setattr(tasks, "DISPATCH_ROUNDS", 2)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.messages_dispatch_due(tenant.pk, limit=2) == 4
    # A helper, then the hand-over: both at the back of the queue, neither asks for more.
    assert asked == [((tenant.pk, 2), {"helper": True})] * 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.messages_dispatch_due(*asked[1][0], **asked[1][1]) == 1
    assert len(asked) == 2  # the last claim was not full: the run ends there
    assert {reload(m).status for m in messages} == {S.QUEUED}
