"""Hardening, point 2 (issue 15), for webhooks: what anyone can POST to a store's webhook URLs
is bounded. Bodies that fail verification are kept up to a budget per store, source and hour,
then counted, not kept, and answered 429 with Retry-After; stored bodies are purged after
their retention, those that brought events emptied rather than deleted."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.inbound import inbound_purge, inbound_store, unverified_refused
from tenants.models import InboundWebhook
from tracking.carriers.signatures import easypost_signature
from tracking.models import TrackingEvent

SECRET = "whsec-alpha"
URL = "/webhooks/easypost/alpha/"
S = InboundWebhook.Status


@pytest.fixture
def alpha(personas, settings):
    settings.WEBHOOK_UNVERIFIED_KEPT_PER_HOUR = 2
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": SECRET})
    return personas.tenant_a


def body(n: int) -> bytes:
    return json.dumps({"id": f"evt_{n}", "object": "Event", "description": "tracker.created",
                       "result": {"object": "Tracker", "tracking_code": f"9400{n}",
                                  "carrier": "USPS", "tracking_details": []}}).encode()


def post(client, data: bytes, signature: str, url: str = URL, **extra):
    return client.generic("POST", url, data, content_type="application/json",
                          HTTP_X_HMAC_SIGNATURE=signature, **extra)


def stored(tenant) -> list[InboundWebhook]:
    with tenant_scope(tenant):
        return list(InboundWebhook.objects.order_by("pk"))


@pytest.mark.django_db
def test_unverified_bodies_are_kept_up_to_the_budget_then_refused_429(client, alpha):
    answers = [post(client, body(n), "hmac-sha256-hex=forged") for n in range(4)]

    assert [a.status_code for a in answers] == [401, 401, 429, 429]
    assert 0 < int(answers[2]["Retry-After"]) <= 3600
    assert answers[2].json()["error"]["code"] == "too_many_unverified"
    assert [w.status for w in stored(alpha)] == [S.REJECTED, S.REJECTED]
    assert unverified_refused(alpha) == {"easypost": 2}


@pytest.mark.django_db
def test_a_verified_delivery_is_never_limited_by_the_budget(client, alpha):
    for n in range(3):
        post(client, body(n), "hmac-sha256-hex=forged")

    signed = body(9)
    response = post(client, signed, easypost_signature(signed, SECRET))

    assert response.status_code in (202, 204)
    assert len(stored(alpha)) == 3


@pytest.mark.django_db
def test_a_source_that_stores_before_verifying_forgets_what_it_may_not_keep(client, alpha,
                                                                             personas):
    with tenant_scope(alpha):
        tenant_services.credential_set(alpha, "shopify", {
            "shop_domain": "alpha.myshopify.com", "webhook_secret": "shpss"})
    answers = [client.generic("POST", "/webhooks/shopify/alpha/", b"{}",
                              content_type="application/json",
                              HTTP_X_SHOPIFY_HMAC_SHA256="forged", HTTP_X_SHOPIFY_TOPIC="orders/create")
               for _ in range(3)]

    assert [a.status_code for a in answers] == [401, 401, 429]
    assert len(stored(alpha)) == 2
    # The budget is per source: EasyPost still gets its own.
    assert post(client, body(1), "hmac-sha256-hex=forged").status_code == 401


@pytest.mark.django_db
def test_posts_to_a_source_we_do_not_have_are_bounded_too(client, alpha):
    answers = [client.post("/webhooks/fedexx/alpha/", b"{}", content_type="application/json")
               for _ in range(3)]

    assert [a.status_code for a in answers] == [404, 404, 429]
    assert len(stored(alpha)) == 2


@pytest.mark.django_db
def test_the_webhook_log_says_how_many_were_refused(client, alpha, personas):
    for n in range(5):
        post(client, body(n), "hmac-sha256-hex=forged")
    client.force_login(personas.alice)

    page = client.get("/webhook-log/").content.decode()

    assert "3 from EasyPost were refused with 429 and not kept" in page


@pytest.mark.django_db
def test_the_purge_deletes_old_bodies_and_empties_those_that_brought_events(alpha):
    now = timezone.now()
    with tenant_scope(alpha):
        def old(status, days, *, events=0):
            row = inbound_store(alpha, source="easypost", body=b'{"x": 1}',
                                headers={"X-Hmac-Signature": "s"}, query="a=1")
            InboundWebhook.objects.filter(pk=row.pk).update(
                status=status, events_created=events, received_at=now - timedelta(days=days))
            return row.pk

        refused_old, refused_new = old(S.REJECTED, 8), old(S.INVALID, 6)
        done_old, done_new = old(S.PROCESSED, 31), old(S.DUPLICATE, 29)
        with_events = old(S.PROCESSED, 31, events=1)
        TrackingEvent.objects.create(
            tenant=alpha, source="easypost", carrier="USPS", tracking_number="9400",
            occurred_at=now, status="in_transit", dedup_key="k", inbound_id=with_events)
        waiting = [old(S.QUEUED, 90), old(S.FAILED, 90), old(S.RECEIVED, 90)]

        assert inbound_purge(alpha, now=now) == (2, 1)

        left = {w.pk: w for w in InboundWebhook.objects.all()}
        assert set(left) == {refused_new, done_new, with_events, *waiting}
        assert refused_old not in left and done_old not in left
        emptied = left[with_events]
        assert bytes(emptied.body) == b"" and emptied.headers == {} and emptied.query == ""
        assert emptied.body_purged_at == now
        assert TrackingEvent.objects.get().inbound_id == with_events
        assert bytes(left[done_new].body) == b'{"x": 1}'
        # Run again: nothing more to do.
        assert inbound_purge(alpha, now=now) == (0, 0)


@pytest.mark.django_db
def test_the_purge_never_touches_another_store(alpha, personas):
    now = timezone.now()
    with tenant_scope(personas.tenant_b):
        row = inbound_store(personas.tenant_b, source="easypost", body=b"{}", headers={})
        InboundWebhook.objects.filter(pk=row.pk).update(
            status=S.REJECTED, received_at=now - timedelta(days=90))
    with tenant_scope(alpha):
        assert inbound_purge(alpha, now=now) == (0, 0)
    assert len(stored(personas.tenant_b)) == 1
