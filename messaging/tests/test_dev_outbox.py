"""The dev outbox (embedded mode): a shopper's e-mail or SMS is kept, rendered, on its row
and as files under MESSAGING_OUTBOX_DIR, and shown in the dashboard at /outbox/ as the
shopper would get it, with working links, to members of its store only."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from messaging.dashboard.frames import links_open_outside
from messaging.models import Message
from messaging.providers import OutboxTransport
from tenants.context import tenant_scope

from .outbox_support import kept_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox_dir(settings, tmp_path):
    settings.SENDGRID_API_KEY = settings.EMAIL_HOST = ""
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    settings.MESSAGING_OUTBOX_DIR = str(tmp_path)
    return tmp_path / "messages"


def _sent(tenant, milestone: str, channel: str, capture, **customer) -> Message:
    return kept_message(tenant, milestone, channel, capture=capture, **customer)


def test_a_kept_email_is_written_as_eml_and_html(personas, outbox_dir, no_rate_limits,
                                                  django_capture_on_commit_callbacks):
    message = _sent(personas.tenant_a, "shipped", "email", django_capture_on_commit_callbacks)
    assert (message.status, message.provider) == (Message.Status.SENT, "outbox")
    eml = email.message_from_bytes((outbox_dir / f"{message.pk}.eml").read_bytes(),
                                   policy=policy.default)
    assert (eml["To"], eml["Subject"]) == (message.recipient, message.subject)
    html = eml.get_body(preferencelist=("html",)).get_content()
    assert html.strip() == message.html_body.strip()
    assert (outbox_dir / f"{message.pk}.html").read_text() == message.html_body
    # Its links are our click-tracking links on the public base URL.
    assert f'href="{django_settings.PUBLIC_BASE_URL}/m/c/' in message.html_body


def test_a_kept_sms_is_written_as_text(personas, outbox_dir, no_rate_limits,
                                       django_capture_on_commit_callbacks):
    message = _sent(personas.tenant_a, "out_for_delivery", "sms",
                    django_capture_on_commit_callbacks)
    assert (message.status, message.provider) == (Message.Status.SENT, "outbox")
    text = (outbox_dir / f"{message.pk}.txt").read_text()
    assert text.startswith(f"To: {message.recipient}\n") and message.text_body in text


def test_a_folder_that_cannot_be_written_does_not_fail_the_send(personas, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.MESSAGING_OUTBOX_DIR = str(blocker)  # messages/ cannot be made inside a file
    with tenant_scope(personas.tenant_a):
        message = Message.objects.create(channel="sms", milestone="shipped", recipient="+15555550100",
                                         dedup_key="t:1", due_at=timezone.now(), text_body="Hi")
    assert OutboxTransport("sms").send(message) == f"outbox-{message.pk}"


def test_the_outbox_lists_kept_messages_newest_first_as_the_shopper_got_them(
        client, personas, outbox_dir, no_rate_limits, django_capture_on_commit_callbacks):
    first = _sent(personas.tenant_a, "shipped", "email", django_capture_on_commit_callbacks)
    second = _sent(personas.tenant_a, "delivered", "email", django_capture_on_commit_callbacks)
    client.force_login(personas.bob)  # an agent
    body = client.get("/outbox/").content.decode()
    assert body.index(second.subject) < body.index(first.subject)
    assert first.recipient in body and "E-mail" in body
    assert str(outbox_dir) in body  # where the files are
    assert f'href="/messages/{first.pk}/"' in body


def test_the_message_page_shows_the_email_with_working_links_and_its_eml(
        client, personas, outbox_dir, no_rate_limits, django_capture_on_commit_callbacks):
    message = _sent(personas.tenant_a, "shipped", "email", django_capture_on_commit_callbacks)
    client.force_login(personas.bob)
    body = client.get(reverse("messaging:message", args=[message.pk])).content.decode()
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in body
    frame = client.get(reverse("messaging:message-frame", args=[message.pk]))
    assert '<base target="_blank">' in frame.content.decode()
    assert frame["X-Frame-Options"] == "SAMEORIGIN"  # the message page frames it
    assert f'href="/outbox/{message.pk}.eml"' in body and "← Dev outbox" in body
    eml = client.get(reverse("outbox:eml", args=[message.pk]))
    assert eml["Content-Type"] == "message/rfc822"
    assert f"Subject: {message.subject}".encode() in eml.content


def test_another_stores_member_sees_none_of_it(client, personas, outbox_dir, no_rate_limits,
                                               django_capture_on_commit_callbacks):
    message = _sent(personas.tenant_a, "shipped", "email", django_capture_on_commit_callbacks)
    client.force_login(personas.carol)
    assert message.recipient not in client.get("/outbox/").content.decode()
    assert client.get(reverse("outbox:eml", args=[message.pk])).status_code == 404
    assert client.get(reverse("messaging:message-frame", args=[message.pk])).status_code == 404


def test_the_messages_page_offers_the_outbox_only_where_it_is_the_default(
        client, personas, settings, outbox_dir):
    client.force_login(personas.alice)
    assert 'id="outbox-tab"' in client.get("/messages/").content.decode()
    settings.SENDGRID_API_KEY = "SG.platform.0123456789"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "1" * 32, "2" * 32
    assert 'id="outbox-tab"' not in client.get("/messages/").content.decode()


def test_links_open_in_a_new_tab_without_leaving_standards_mode():
    framed = links_open_outside('<!doctype html><html><head><meta charset="utf-8"></head></html>')
    assert framed.startswith('<!doctype html><html><head><base target="_blank"><meta')
    assert links_open_outside("<p>Hi</p>") == '<base target="_blank"><p>Hi</p>'
