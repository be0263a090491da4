"""The dispatcher: due rows are claimed, sent once, retried with backoff, failed with the
provider's reason, suppressed when no longer wanted, and left `uncertain` after a crash."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from messaging import dispatch
from messaging.dispatch import MAX_ATTEMPTS, messages_dispatch_due, messages_sweep, retry_delay
from messaging.models import Message, MessageEvent, MessagePreference, Suppression
from messaging.providers import Transport
from orders.models import OrderEvent
from tenants.context import tenant_scope
from tenants.rls import cross_tenant

from .dispatch_support import make_customer, make_message, reload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]
S = Message.Status


@pytest.fixture
def clock(dispatch_clock):
    return dispatch_clock


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """One dispatcher cycle for a tenant; the queued send tasks run (eagerly) after commit."""
    def cycle(tenant, **kwargs) -> int:
        with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
            return messages_dispatch_due(tenant, **kwargs)
    return cycle


def events(message) -> list[str]:
    with cross_tenant("a test reads across stores"):
        return list(MessageEvent.objects.unscoped(reason="test").filter(message_id=message.pk)
                    .values_list("kind", flat=True))


def test_only_due_messages_are_claimed_and_sent(personas, clock, run, settings):
    settings.SENDGRID_API_KEY = settings.EMAIL_HOST = ""
    tenant = personas.tenant_a
    due = make_message(tenant, due_at=clock.now - timedelta(seconds=1))
    later = make_message(tenant, due_at=clock.now + timedelta(minutes=5))

    assert run(tenant) == 1

    due, later = reload(due), reload(later)
    assert (due.status, due.provider, due.provider_message_id) == (S.SENT, "outbox", f"outbox-{due.pk}")
    assert due.sent_at == clock.now and due.attempts == 1
    assert due.text_body == "Hi Sam, thanks!"  # the outbox keeps the content on the row
    assert later.status == S.SCHEDULED
    assert events(due) == ["sent"]


def test_a_sent_email_records_sendgrids_message_id_and_the_order_timeline(
        personas, clock, run, fake_sendgrid):
    tenant = personas.tenant_a
    message = make_message(tenant, due_at=clock.now)

    run(tenant)

    message = reload(message)
    assert message.status == S.SENT
    assert (message.provider, message.provider_message_id) == ("sendgrid", fake_sendgrid.message_ids[0])
    with cross_tenant("a test reads across stores"):
        summaries = list(OrderEvent.objects.unscoped(reason="test").filter(order_id=message.order_id)
                         .values_list("summary", flat=True))
    assert any("sent via sendgrid" in summary for summary in summaries)


def test_a_message_is_sent_once_even_if_its_task_runs_again(personas, clock, run, fake_sendgrid):
    tenant = personas.tenant_a
    message = make_message(tenant, due_at=clock.now)
    run(tenant)

    with tenant_scope(tenant):
        assert dispatch.message_send(tenant, message.pk) == S.SENT
    assert run(tenant) == 0
    assert len(fake_sendgrid.requests) == 1


def test_a_send_task_whose_claim_was_lost_sends_nothing_and_the_next_claim_sends_once(
        personas, clock, run, fake_sendgrid, django_capture_on_commit_callbacks):
    """The claim commits without waiting for the disk (synchronous_commit off): a database
    crash may lose it after its send task was queued. That task then finds the message
    `scheduled` again, not `queued`, and leaves it alone; the next claim sends it once."""
    tenant = personas.tenant_a
    message = make_message(tenant, due_at=clock.now)
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert messages_dispatch_due(tenant) == 1
    assert reload(message).status == S.QUEUED and len(callbacks) == 1
    # The commit is lost: the row is as it was before the claim (rendered when made).
    with cross_tenant("a test reads across stores"):
        Message.objects.unscoped(reason="test").filter(pk=message.pk).update(status=S.SCHEDULED)

    with tenant_scope(tenant):
        assert dispatch.messages_send(tenant, [message.pk]) == {S.SCHEDULED: 1}
    assert fake_sendgrid.requests == []

    assert run(tenant) == 1
    assert reload(message).status == S.SENT and len(fake_sendgrid.requests) == 1


@pytest.mark.django_db(transaction=True)  # each transaction really commits
def test_the_claim_commits_without_waiting_for_the_disk_and_the_send_waits(
        personas, clock, run, fake_sendgrid):
    tenant = personas.tenant_a
    make_message(tenant, due_at=clock.now)
    seen: dict[str, str] = {}

    def capture(execute, sql, params, many, context):
        kind = ("claim" if sql.startswith('UPDATE "messaging_message" AS t SET "status"')
                else "sending" if "attempts = attempts + 1" in sql else None)
        if kind:  # the setting in force for the transaction this statement belongs to
            raw = context["connection"].connection
            seen[kind] = raw.execute("SHOW synchronous_commit").fetchone()[0]
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        assert run(tenant) == 1
    assert seen == {"claim": "off", "sending": "on"}


def test_a_temporary_error_reschedules_with_backoff_then_sends(personas, clock, run, fake_sendgrid):
    tenant = personas.tenant_a
    message = make_message(tenant, due_at=clock.now)
    fake_sendgrid.fail_next(503, {"errors": [{"message": "Service Unavailable"}]})

    run(tenant)

    message = reload(message)
    assert (message.status, message.attempts) == (S.SCHEDULED, 1)
    assert clock.now + timedelta(seconds=15) <= message.due_at <= clock.now + timedelta(seconds=30)
    assert message.status_reason == "Will retry: sendgrid 503: Service Unavailable"
    assert run(tenant) == 0  # not due yet

    clock.advance(seconds=31)
    run(tenant)

    message = reload(message)
    assert (message.status, message.attempts) == (S.SENT, 2)
    assert events(message) == ["retry", "sent"]
    assert len(fake_sendgrid.requests) == 2


def test_retries_stop_after_the_limit_and_the_message_fails_with_the_reason(
        personas, clock, run, fake_sendgrid):
    tenant = personas.tenant_a
    message = make_message(tenant, due_at=clock.now)
    fake_sendgrid.fail_next(429, {"errors": [{"message": "too many requests"}]}, times=MAX_ATTEMPTS)

    for _ in range(MAX_ATTEMPTS):
        run(tenant)
        clock.advance(hours=3)

    message = reload(message)
    assert message.status == S.FAILED
    assert message.status_reason == f"Gave up after {MAX_ATTEMPTS} attempts: sendgrid 429: too many requests"
    assert events(message) == ["retry"] * (MAX_ATTEMPTS - 1) + ["failed"]
    assert len(fake_sendgrid.requests) == MAX_ATTEMPTS


def test_the_backoff_doubles_with_jitter_and_is_capped():
    assert retry_delay(1, rand=lambda: 0.0) == timedelta(seconds=15)
    assert retry_delay(1, rand=lambda: 1.0) == timedelta(seconds=30)
    assert retry_delay(3, rand=lambda: 1.0) == timedelta(minutes=2)
    assert retry_delay(30, rand=lambda: 1.0) == timedelta(hours=2)


def test_an_opted_out_number_fails_at_once_and_is_suppressed_from_then_on(
        personas, clock, run, fake_twilio):
    tenant = personas.tenant_a
    customer = make_customer(tenant)
    first = make_message(tenant, "sms", customer=customer, due_at=clock.now)
    fake_twilio.reject_next(21610, "Attempt to send to unsubscribed recipient")

    run(tenant)

    first = reload(first)
    assert (first.status, first.attempts) == (S.FAILED, 1)
    assert first.status_reason == "twilio 21610: Attempt to send to unsubscribed recipient"
    with tenant_scope(tenant):
        assert Suppression.objects.get(address=customer.phone).reason == Suppression.Reason.SMS_STOP

    second = make_message(tenant, "sms", customer=customer, due_at=clock.now,
                          milestone="delivered")
    run(tenant)

    assert reload(second).status == S.SUPPRESSED
    assert len(fake_twilio.requests) == 1


@pytest.mark.parametrize("why", ["suppression list", "preference", "no consent"])
def test_a_message_no_longer_wanted_is_suppressed_without_calling_the_provider(
        personas, clock, run, fake_sendgrid, why):
    tenant = personas.tenant_a
    customer = make_customer(tenant, transactional_email_consent=why != "no consent")
    message = make_message(tenant, customer=customer, due_at=clock.now)
    with tenant_scope(tenant):
        if why == "suppression list":
            Suppression.objects.create(channel="email", address=customer.email, reason="hard_bounce",
                                       source="sendgrid")
        if why == "preference":
            MessagePreference.objects.create(customer=customer, milestone="order_confirmed",
                                             channel="email", enabled=False)

    run(tenant)

    message = reload(message)
    assert message.status == S.SUPPRESSED and message.status_reason
    assert events(message) == ["suppressed"]
    assert fake_sendgrid.requests == []


def test_a_crash_after_the_provider_accepted_leaves_the_message_uncertain_never_resent(
        personas, clock, run, fake_sendgrid, monkeypatch):
    tenant = personas.tenant_a
    message = make_message(tenant, due_at=clock.now)

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed while recording")

    monkeypatch.setattr(dispatch, "_sent", crash)
    run(tenant)
    monkeypatch.undo()

    assert reload(message).status == S.SENDING
    assert len(fake_sendgrid.requests) == 1
    with tenant_scope(tenant):
        assert messages_sweep(tenant, now=clock.now + timedelta(minutes=5))["uncertain"] == 0
        assert messages_sweep(tenant, now=clock.now + timedelta(minutes=11))["uncertain"] == 1

    message = reload(message)
    assert message.status == S.UNCERTAIN
    assert "may have reached the shopper" in message.status_reason
    assert events(message) == ["uncertain"]
    clock.advance(hours=1)
    assert run(tenant) == 0
    with tenant_scope(tenant):
        assert dispatch.message_send(tenant, message.pk) == S.UNCERTAIN
    assert len(fake_sendgrid.requests) == 1


class _MeanwhileTransport(Transport):
    """Accepts every message; while the provider call is in flight, something else writes to
    some rows (`meanwhile`: message id → status and reason), as a fast provider callback or
    the sweep would."""

    name = "test"

    def __init__(self, meanwhile: dict[int, tuple[str, str]]):
        self.meanwhile = meanwhile

    def send(self, message: Message) -> str:
        if message.pk in self.meanwhile:
            status, reason = self.meanwhile[message.pk]
            with cross_tenant("a test reads across stores"):
                Message.objects.unscoped(reason="test plays the callback").filter(
                    pk=message.pk).update(status=status, status_reason=reason)
        return f"test-{message.pk}"


def test_recording_a_batch_as_sent_keeps_what_a_callback_said_first_and_resolves_the_uncertain(
        personas, clock, run, monkeypatch):
    tenant = personas.tenant_a
    plain, delivered, swept = (make_message(tenant, due_at=clock.now) for _ in range(3))
    transport = _MeanwhileTransport({
        delivered.pk: (S.DELIVERED, ""),
        swept.pk: (S.UNCERTAIN, "The worker stopped mid-send: it may have reached the shopper"),
    })
    monkeypatch.setattr(dispatch, "transport_for", lambda tenant, channel: transport)

    assert run(tenant) == 3

    plain, delivered, swept = reload(plain), reload(delivered), reload(swept)
    assert (plain.status, delivered.status, swept.status) == (S.SENT, S.DELIVERED, S.SENT)
    assert swept.status_reason == ""  # we know now that it was accepted
    for message in (plain, delivered, swept):
        assert (message.provider, message.provider_message_id) == ("test", f"test-{message.pk}")
        assert message.sent_at == clock.now and message.updated_at == clock.now
        assert events(message) == ["sent"]


def test_a_queued_message_whose_task_was_lost_is_queued_again_by_the_sweep(
        personas, clock, fake_sendgrid, django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    message = make_message(tenant, due_at=clock.now)
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=False):
        messages_dispatch_due(tenant)  # the broker lost the task: callbacks never run
    assert reload(message).status == S.QUEUED

    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        assert messages_sweep(tenant, now=clock.now + timedelta(minutes=6))["requeued"] == 1

    assert reload(message).status == S.SENT
    assert len(fake_sendgrid.requests) == 1


def test_the_sender_rate_limit_reschedules_instead_of_dropping(personas, clock, run, fake_twilio,
                                                              settings):
    settings.MESSAGING_RATE_LIMITS = {"sms_service": 1}
    tenant = personas.tenant_a
    messages = [make_message(tenant, "sms", due_at=clock.now) for _ in range(3)]

    run(tenant)

    first, *others = [reload(m) for m in messages]
    assert first.status == S.SENT and len(fake_twilio.requests) == 1
    assert [m.status for m in others] == [S.SCHEDULED, S.SCHEDULED]
    assert all(m.attempts == 0 and "rate limit" in m.status_reason for m in others)
    # Spread over the following seconds, one per second, not all at the next one.
    assert clock.now + timedelta(seconds=1) <= others[0].due_at < clock.now + timedelta(seconds=1.5)
    assert clock.now + timedelta(seconds=2) <= others[1].due_at < clock.now + timedelta(seconds=2.5)

    for _ in range(2):
        clock.advance(seconds=3)
        run(tenant)

    assert [reload(m).status for m in messages] == [S.SENT] * 3
    assert len(fake_twilio.requests) == 3


def test_a_message_is_rendered_from_its_template_version_when_it_is_sent(
        personas, clock, run, fake_twilio):
    from messaging.models import Template
    from messaging.rendering import template_version_save

    tenant = personas.tenant_a
    with tenant_scope(tenant):
        template = Template.objects.create(key="confirm-sms-test", name="Confirm", channel="sms")
        version = template_version_save(tenant, template, locale="en", subject="", preheader="",
                                        body="Hi {{ customer.first_name }}, order {{ order.number }} "
                                             "is confirmed.")
    message = make_message(tenant, "sms", due_at=clock.now, text_body="", template_version=version)

    run(tenant)

    message = reload(message)
    assert message.status == S.SENT
    assert message.text_body.startswith("Hi Sam, order #")
    assert fake_twilio.sent[0]["Body"] == message.text_body
    assert (message.template_version_id, message.locale) == (version.pk, "en")


def test_the_beat_dispatches_every_ten_seconds_and_sweeps_every_minute():
    from config.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["messages-dispatch"] == {"task": "messaging.tasks.messages_dispatch_all",
                                             "schedule": 10}
    assert schedule["messages-sweep"] == {"task": "messaging.tasks.messages_sweep_all",
                                          "schedule": 60}


def test_the_periodic_dispatch_fans_out_to_every_tenant_on_the_messages_queue(
        personas, clock, fake_sendgrid, django_capture_on_commit_callbacks):
    from config.celery import app
    from messaging.tasks import messages_dispatch_all, messages_send_batch

    ours = make_message(personas.tenant_a, due_at=clock.now)
    theirs = make_message(personas.tenant_b, due_at=clock.now)

    with django_capture_on_commit_callbacks(execute=True):
        messages_dispatch_all.delay()

    assert reload(ours).status == reload(theirs).status == S.SENT
    route = app.amqp.router.route({}, messages_send_batch.name)
    assert route["queue"].name == "messages"


def test_the_tenants_own_cap_holds_whatever_the_provider(personas, clock, run, settings):
    settings.SENDGRID_API_KEY = settings.EMAIL_HOST = ""
    settings.MESSAGING_RATE_LIMITS = {"tenant": 1}
    tenant = personas.tenant_a
    first, second = (make_message(tenant, due_at=clock.now) for _ in range(2))

    run(tenant)

    assert (reload(first).status, reload(second).status) == (S.SENT, S.SCHEDULED)


def test_a_rate_below_one_per_second_allows_one_send_per_longer_window():
    import uuid

    from django.utils import timezone

    from messaging.ratelimit import rate_take

    key, now = f"test:{uuid.uuid4()}", timezone.now().replace(microsecond=0)
    window_start = now - timedelta(seconds=now.timestamp() % 2)

    assert rate_take(key, 0.5, now=window_start) == 0.0
    assert rate_take(key, 0.5, now=window_start + timedelta(seconds=1)) == 1.0
    assert rate_take(key, 0.5, now=window_start + timedelta(seconds=1)) == 3.0
    assert rate_take(key, 0.5, now=window_start + timedelta(seconds=2)) == 0.0


def test_a_provider_that_takes_the_request_but_never_answers_leaves_it_uncertain(
        personas, clock, run, fake_sendgrid, settings):
    """A read timeout: the e-mail may be out already, so it is not retried; a person decides."""
    settings.MESSAGING_PROVIDER_TIMEOUT = 1.0
    tenant = personas.tenant_a
    message = make_message(tenant, due_at=clock.now)
    fake_sendgrid.hang_next(seconds=3)

    run(tenant)
    clock.now += timedelta(hours=3)
    run(tenant)

    message = reload(message)
    assert message.status == S.UNCERTAIN
    assert "may have been sent" in message.status_reason
    assert len(fake_sendgrid.requests) == 1
