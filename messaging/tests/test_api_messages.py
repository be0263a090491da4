"""/api/v1/messages/: filters, cursor pages with a fixed number of queries, each message's
content, template version and provider events; resend of failed and (confirmed) uncertain
messages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from messaging.models import Message, MessageEvent
from messaging.tests.dashboard_support import make_message, make_template
from orders.tests.api_support import alice_api_fixture, error_fields, read_only_api_fixture, walk_pages  # noqa: F401
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db
LIST = reverse("api-message-list")


def test_a_message_shows_its_content_version_and_events(alice_api, personas):
    template = make_template(personas.tenant_a)
    with tenant_scope(personas.tenant_a):
        version = template.versions.get()
    message = make_message(personas.tenant_a, version=version, events=2)

    body = alice_api.get(reverse("api-message-detail", args=[message.pk])).json()

    assert body["status"] == "sent" and body["channel"] == "email"
    assert body["milestone"] == "shipped" and body["recipient"] == "sam@example.test"
    assert body["template_version"] == {"id": version.pk, "template_id": template.pk,
                                        "number": 1, "locale": "en"}
    assert body["subject"] == "Your parcel is on its way"
    assert body["html_body"] == "<p>On its way</p>" and body["text_body"] == "On its way"
    assert [e["kind"] for e in body["events"]] == ["processed", "delivered"]


def test_the_list_filters_by_status_channel_milestone_and_recipient(alice_api, personas):
    make_message(personas.tenant_a, recipient="a@example.test")
    make_message(personas.tenant_a, recipient="b@example.test", status=Message.Status.FAILED)
    make_message(personas.tenant_a, recipient="+4915112345678", channel="sms",
                 milestone="delivered")

    def recipients(**params) -> set[str]:
        response = alice_api.get(LIST, params)
        assert response.status_code == 200, response.content
        return {m["recipient"] for m in response.json()["results"]}

    assert recipients() == {"a@example.test", "b@example.test", "+4915112345678"}
    assert recipients(status="failed") == {"b@example.test"}
    assert recipients(channel="sms") == {"+4915112345678"}
    assert recipients(milestone="delivered") == {"+4915112345678"}
    assert recipients(recipient="A@Example.test") == {"a@example.test"}


def test_a_misspelt_filter_is_an_error_not_an_unfiltered_list(alice_api):
    assert "stauts" in error_fields(alice_api.get(LIST, {"stauts": "failed"}))
    assert "milestone" in error_fields(alice_api.get(LIST, {"milestone": "teleported"}))


def test_pages_cost_the_same_number_of_queries_however_long(
        alice_api, personas, django_assert_max_num_queries):
    for n in range(7):
        make_message(personas.tenant_a, recipient=f"p{n}@example.test", events=3)
    # auth (key, tenant) + page + events prefetch; no query per message or event
    with django_assert_max_num_queries(6):
        first = alice_api.get(LIST, {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    assert len(walk_pages(alice_api, LIST + "?page_size=3")) == 7


def test_a_failed_message_is_rescheduled_on_the_same_row(alice_api, personas):
    message = make_message(personas.tenant_a, status=Message.Status.FAILED, reason="twilio 30003")

    response = alice_api.post(reverse("api-message-resend", args=[message.pk]), {},
                              format="json")

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "scheduled"
    with tenant_scope(personas.tenant_a):
        message.refresh_from_db()
        assert Message.objects.count() == 1
        event = MessageEvent.objects.get(message=message, kind="resend")
    assert message.attempts == 0 and message.status_reason == ""
    assert event.data["actor"].startswith("api:") and event.data["previous"]["status"] == "failed"


def test_an_uncertain_message_needs_an_explicit_confirmation(alice_api, personas):
    message = make_message(personas.tenant_a, status=Message.Status.UNCERTAIN)
    url = reverse("api-message-resend", args=[message.pk])

    refused = alice_api.post(url, {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "confirmation_required"

    assert alice_api.post(url, {"confirmed_not_received": True}, format="json").status_code == 202
    with tenant_scope(personas.tenant_a):
        assert MessageEvent.objects.filter(message=message, kind="resend_confirmed").exists()


def test_a_sent_message_is_never_resent(alice_api, personas):
    message = make_message(personas.tenant_a, status=Message.Status.DELIVERED)
    response = alice_api.post(reverse("api-message-resend", args=[message.pk]), {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_a_read_only_key_reads_but_cannot_resend(read_only_api, personas):
    message = make_message(personas.tenant_a, status=Message.Status.FAILED)
    assert read_only_api.get(LIST).status_code == 200
    assert read_only_api.post(reverse("api-message-resend", args=[message.pk]), {},
                              format="json").status_code == 403
