"""Inbound webhook log: list and filters, the body shown safely, Replay, and the integrations
page's "send a test event" through the same pipeline as a real delivery."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.inbound import inbound_store
from tenants.models import InboundWebhook
from tenants.permissions import Role
from tenants.rls import cross_tenant
from tenants.tests.factories import UserFactory, add_member
from tracking.carriers.signatures import easypost_signature
from tracking.models import TrackingEvent
from tracking.tests.support import fixture_bytes
from tracking.webhook_samples import SAMPLE_FIXTURES, webhook_test_send

pytestmark = pytest.mark.django_db
LIST = reverse("tracking:webhooks")
SECRETS = {"easypost": {"webhook_secret": "whsec-alpha"},
           "aftership": {"webhook_secret": "as-secret-alpha"},
           "shippo": {"webhook_token": "shippo-token-alpha-123456"}}


def store(tenant, body: bytes, *, source="easypost", headers=None, query="") -> InboundWebhook:
    with tenant_scope(tenant):
        return inbound_store(tenant, source=source, body=body,
                                      headers=headers or {"Content-Type": "application/json"},
                                      query=query)


def test_the_log_lists_and_filters_by_status_and_source(client, personas):
    ok = store(personas.tenant_a, b"{}")
    with cross_tenant("a test reads across stores"):
        InboundWebhook.objects.unscoped(reason="test").filter(pk=ok.pk).update(status="processed")
    bad = store(personas.tenant_a, b"{}", source="shippo")
    with cross_tenant("a test reads across stores"):
        InboundWebhook.objects.unscoped(reason="test").filter(pk=bad.pk).update(
            status="rejected", error="The signature does not match this store's webhook secret.")
    client.force_login(personas.bob)
    body = client.get(LIST).content.decode()
    assert f"/webhook-log/{ok.pk}/" in body and f"/webhook-log/{bad.pk}/" in body
    assert "does not match" in body
    rejected = client.get(LIST, {"status": "rejected"}).content.decode()
    assert f"/webhook-log/{bad.pk}/" in rejected and f"/webhook-log/{ok.pk}/" not in rejected
    easypost = client.get(LIST, {"source": "easypost"}).content.decode()
    assert f"/webhook-log/{ok.pk}/" in easypost and f"/webhook-log/{bad.pk}/" not in easypost


def test_the_log_never_loads_bodies_and_has_no_n_plus_one(client, personas,
                                                          django_assert_max_num_queries):
    for _ in range(30):
        store(personas.tenant_a, b"x" * 10_000)
    client.force_login(personas.bob)
    with django_assert_max_num_queries(7) as captured:
        client.get(LIST)
    listing = [q["sql"] for q in captured.captured_queries if "tenants_inboundwebhook" in q["sql"]]
    assert listing and all('"body"' not in sql for sql in listing)


def test_the_body_is_pretty_json_and_escaped(client, personas):
    hostile = store(personas.tenant_a, b'{"note": "<script>alert(1)</script>", "n": 1}')
    raw = store(personas.tenant_a, b"not json <b>bold</b>")
    client.force_login(personas.bob)
    body = client.get(reverse("tracking:webhook", args=[hostile.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and '  &quot;n&quot;: 1' in body
    assert "Content-Type" in body
    plain = client.get(reverse("tracking:webhook", args=[raw.pk])).content.decode()
    assert "not json &lt;b&gt;bold&lt;/b&gt;" in plain


def test_the_shippo_token_in_the_query_is_masked(client, personas):
    inbound = store(personas.tenant_a, b"{}", source="shippo", query="token=abcdefgh1234")
    client.force_login(personas.bob)
    body = client.get(reverse("tracking:webhook", args=[inbound.pk])).content.decode()
    assert "abcdefgh1234" not in body and "1234" in body


def test_replay_after_saving_the_secret_accepts_a_rejected_body(client, personas,
                                                                django_capture_on_commit_callbacks):
    body = fixture_bytes("easypost", "tracker_updated_delivered.json")
    headers = {"X-Hmac-Signature": easypost_signature(body, "whsec-alpha")}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.generic("POST", "/webhooks/easypost/alpha/", body,
                                  content_type="application/json",
                                  HTTP_X_HMAC_SIGNATURE=headers["X-Hmac-Signature"])
    assert response.status_code == 401  # no secret saved yet
    with cross_tenant("a test reads across stores"):
        inbound = InboundWebhook.objects.unscoped(reason="test").get()
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, "easypost", SECRETS["easypost"])
    client.force_login(personas.bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tracking:webhook-replay", args=[inbound.pk]), follow=True)
    assert "Replayed. Accepted" in response.content.decode()
    with tenant_scope(inbound.tenant):
        inbound.refresh_from_db()
    assert inbound.status == "processed" and inbound.events_created >= 1


def test_a_viewer_sees_the_log_but_cannot_replay(client, personas):
    inbound = store(personas.tenant_a, b"{}")
    viewer = UserFactory(email="vic@alpha.test")
    add_member(personas.tenant_a, viewer, Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("tracking:webhook", args=[inbound.pk])).content.decode()
    assert "Replay</button>" not in page
    assert client.post(reverse("tracking:webhook-replay", args=[inbound.pk])).status_code == 403


@pytest.mark.parametrize("source", sorted(SAMPLE_FIXTURES))
def test_a_test_event_is_signed_with_the_stored_secret_and_accepted(
        personas, source, django_capture_on_commit_callbacks):
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, source, SECRETS[source])
    with tenant_scope(personas.tenant_a), django_capture_on_commit_callbacks(execute=True):
        sent = webhook_test_send(personas.tenant_a, source)
    assert sent.receipt.status == "queued"
    with tenant_scope(personas.tenant_a):
        inbound = InboundWebhook.objects.get(pk=sent.inbound.pk)
        assert inbound.status == "processed" and inbound.source == source
        assert TrackingEvent.objects.filter(inbound=inbound).exists()


def test_a_test_event_without_a_secret_says_what_to_set(client, personas):
    client.force_login(personas.alice)
    response = client.post(reverse("tracking:webhook-test-event", args=["aftership"]), follow=True)
    body = response.content.decode()
    assert "Connect AfterShip first" in body and "webhook secret" in body
    with cross_tenant("a test reads across stores"):
        assert not InboundWebhook.objects.unscoped(reason="test").exists()


def test_the_test_button_lands_in_the_log_with_the_outcome(client, personas,
                                                           django_capture_on_commit_callbacks):
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, "easypost", SECRETS["easypost"])
    client.force_login(personas.alice)
    page = client.get(reverse("dashboard:settings-integrations")).content.decode()
    assert reverse("tracking:webhook-test-event", args=["easypost"]) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tracking:webhook-test-event", args=["easypost"]))
    with cross_tenant("a test reads across stores"):
        inbound = InboundWebhook.objects.unscoped(reason="test").get()
    assert response["Location"] == reverse("tracking:webhook", args=[inbound.pk])
    shown = client.get(response["Location"]).content.decode()
    assert "Test event sent from EasyPost. Accepted" in shown and "Test event</span>" in shown
    # Sending it again proves the secret too, and is recognised as a redelivery.
    again = client.post(reverse("tracking:webhook-test-event", args=["easypost"]), follow=True)
    assert "recognised as a duplicate" in again.content.decode()


def test_an_agent_cannot_send_test_events(client, personas):
    client.force_login(personas.bob)
    response = client.post(reverse("tracking:webhook-test-event", args=["easypost"]))
    assert response.status_code == 403
