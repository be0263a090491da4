"""Message log and message detail: filters, pages without N+1, every provider event, and
"send again": at once for failed messages, only with a recorded confirmation for uncertain."""

from __future__ import annotations

import pytest
from django.urls import reverse

from messaging.models import Message, MessageEvent
from messaging.tests.dashboard_support import make_message
from tenants.context import tenant_scope
from tenants.permissions import Role
from tenants.tests.factories import UserFactory, add_member

pytestmark = pytest.mark.django_db
LOG = reverse("messaging:messages")


def test_the_log_filters_by_status_channel_milestone_and_recipient(client, personas):
    make_message(personas.tenant_a, recipient="a@example.test")
    make_message(personas.tenant_a, recipient="b@example.test", status=Message.Status.FAILED)
    make_message(personas.tenant_a, recipient="+4915112345678", channel="sms",
                 milestone="delivered")
    client.force_login(personas.bob)

    def shown(**params) -> set[str]:
        body = client.get(LOG, params).content.decode()
        return {r for r in ("a@example.test", "b@example.test", "+4915112345678") if r in body}

    assert shown() == {"a@example.test", "b@example.test", "+4915112345678"}
    assert shown(status="failed") == {"b@example.test"}
    assert shown(channel="sms") == {"+4915112345678"}
    assert shown(milestone="delivered") == {"+4915112345678"}
    assert shown(q="A@example.test") == {"a@example.test"}


def test_the_log_pages_without_n_plus_one(client, personas, django_assert_max_num_queries):
    for n in range(55):
        make_message(personas.tenant_a, recipient=f"p{n:02}@example.test", events=2)
    client.force_login(personas.bob)
    with django_assert_max_num_queries(8):
        body = client.get(LOG).content.decode()
    assert body.count('class="mono" href="/messages/') == 50 and 'rel="next"' in body


def test_the_detail_shows_the_content_and_every_event(client, personas):
    message = make_message(personas.tenant_a, events=2, status=Message.Status.BOUNCED,
                           reason="550 mailbox unavailable")
    client.force_login(personas.bob)
    body = client.get(reverse("messaging:message", args=[message.pk])).content.decode()
    # The e-mail comes from a URL of its own, with its own policy (a sandbox, no script); its
    # links open in a new tab (a <base>), as a mail client opens them.
    frame_url = reverse("messaging:message-frame", args=[message.pk])
    assert f'src="{frame_url}"' in body
    frame = client.get(frame_url)
    assert frame.content.decode() == '<base target="_blank"><p>On its way</p>'
    assert "sandbox" in frame["Content-Security-Policy"]
    assert "script-src" not in frame["Content-Security-Policy"]  # default-src 'none' rules
    assert "550 mailbox unavailable" in body
    assert body.count("from sendgrid") == 2


def test_a_failed_message_is_sent_again_on_the_same_row(client, personas):
    message = make_message(personas.tenant_a, status=Message.Status.FAILED)
    client.force_login(personas.bob)
    assert "Send again" in client.get(reverse("messaging:message", args=[message.pk])).content.decode()

    client.post(reverse("messaging:message-resend", args=[message.pk]))

    with tenant_scope(personas.tenant_a):
        message.refresh_from_db()
        event = MessageEvent.objects.get(message=message, kind="resend")
    assert message.status == Message.Status.SCHEDULED
    assert event.data["actor"] == "user:bob@alpha.test"


def test_an_uncertain_message_is_not_resent_without_the_confirmation(client, personas):
    message = make_message(personas.tenant_a, status=Message.Status.UNCERTAIN)
    url = reverse("messaging:message-resend", args=[message.pk])
    client.force_login(personas.bob)

    page = client.post(url, follow=True).content.decode()
    with tenant_scope(personas.tenant_a):
        message.refresh_from_db()
    assert message.status == Message.Status.UNCERTAIN and "may have delivered" in page

    client.post(url, {"confirmed_not_received": "on"})
    with tenant_scope(personas.tenant_a):
        message.refresh_from_db()
        confirmed = MessageEvent.objects.get(message=message, kind="resend_confirmed")
    assert message.status == Message.Status.SCHEDULED
    assert confirmed.data["actor"] == "user:bob@alpha.test"


def test_a_viewer_sees_messages_but_cannot_resend(client, personas):
    viewer = UserFactory()
    add_member(personas.tenant_a, viewer, Role.VIEWER)
    message = make_message(personas.tenant_a, status=Message.Status.FAILED)
    client.force_login(viewer)
    assert "Send again" not in client.get(reverse("messaging:message", args=[message.pk])).content.decode()
    assert client.post(reverse("messaging:message-resend", args=[message.pk])).status_code == 403
