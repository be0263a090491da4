"""`POST /webhooks/shopify/<slug>/`: raw body stored first, signed exactly as Shopify signs
(published vectors byte for byte), rotation, the shop domain, duplicates, bad bodies kept,
replay and the sweep. The other test_shopify_* modules reuse the helpers defined here."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

import tracking.shopify
from orders.models import Order
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.inbound import inbound_replay
from tenants.models import InboundWebhook
from tenants.tests.factories import in_scope
from tracking.carriers.signatures import hmac_sha256_b64
from tracking.tasks import tracking_sweep

FIXTURES = Path(tracking.shopify.__file__).parent / "fixtures"
SECRET = "shpss_alpha_webhook_secret"
DOMAIN = "alpha-store.myshopify.com"
URL = "/webhooks/shopify/alpha/"


def fixture_bytes(name: str) -> bytes:
    """The body exactly as recorded: the signature covers every byte."""
    return (FIXTURES / name).read_bytes()


def rows(model, tenant, **filters) -> list:
    with in_scope(tenant):
        return list(model.objects.filter(**filters))


def connect(tenant, secret: str = SECRET, **extra) -> None:
    with tenant_scope(tenant):
        tenant_services.credential_set(tenant, "shopify", {"shop_domain": DOMAIN, "webhook_secret": secret,
                                                           **extra})


@pytest.fixture
def alpha(personas):
    connect(personas.tenant_a)
    return personas.tenant_a


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a body as Shopify delivers it, then run what was queued on commit (the test's
    transaction never commits, so the on-commit fast path is run by hand)."""
    ids = itertools.count(1)

    def send(body: bytes | str, topic: str, *, secret: str | None = SECRET, signature: str | None = None,
             webhook_id: str | None = None, domain: str | None = DOMAIN, url: str = URL):
        if isinstance(body, str):
            body = fixture_bytes(body)
        headers = {"HTTP_X_SHOPIFY_TOPIC": topic, "HTTP_X_SHOPIFY_API_VERSION": "2025-07",
                   "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id or f"b5c0e1f2-0000-4000-8000-{next(ids):012d}",
                   "HTTP_X_SHOPIFY_TRIGGERED_AT": "2024-05-01T14:00:01.123456Z"}
        if domain:
            headers["HTTP_X_SHOPIFY_SHOP_DOMAIN"] = domain
        signature = signature or (hmac_sha256_b64(secret, body) if secret else None)
        if signature:
            headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = signature
        with django_capture_on_commit_callbacks(execute=True):
            return client.generic("POST", url, body, content_type="application/json", **headers)

    return send


def last_inbound(tenant) -> InboundWebhook:
    with in_scope(tenant):
        return InboundWebhook.objects.order_by("-pk").first()


# Signatures ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_published_order_vector_verifies_byte_for_byte_and_is_kept_though_not_an_order(
        deliver, personas):
    connect(personas.tenant_a, secret="hush")
    body = fixture_bytes("vector_order_287.json")
    assert len(body) == 287
    response = deliver(body, "orders/create", signature="7dMdTnJ3mqUE908ir0+sRPWXY1LYWMGXJ10B/C35CBo=")
    # Verified (not 401); the minimal example lacks currency and created_at, so 400.
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"
    inbound = last_inbound(personas.tenant_a)
    assert bytes(inbound.body) == body and inbound.status == InboundWebhook.Status.INVALID
    assert inbound.headers["X-Shopify-Topic"] == "orders/create"


@pytest.mark.django_db
def test_the_published_quoted_message_vector_verifies_but_is_not_a_json_object(deliver, personas):
    connect(personas.tenant_a, secret="hush")
    response = deliver("vector_quoted_message.json", "orders/create",
                       signature="hMTq0K2x7oyOjoBwGYeTj5oxfnaVYXzbanUG9aajpKI=")
    assert response.status_code == 400
    assert last_inbound(personas.tenant_a).status == InboundWebhook.Status.INVALID


@pytest.mark.django_db
@pytest.mark.parametrize("signature", [None, "7dMdTnJ3mqUE908ir0+sRPWXY1LYWMGXJ10B/C35CBo=", "not base64 ✓"])
def test_a_missing_or_wrong_signature_is_401_and_the_body_is_kept(deliver, alpha, signature):
    response = deliver("orders_create.json", "orders/create", secret=None, signature=signature)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    inbound = last_inbound(alpha)
    assert inbound.status == InboundWebhook.Status.REJECTED
    assert bytes(inbound.body) == fixture_bytes("orders_create.json")
    assert rows(Order, alpha) == []


@pytest.mark.django_db
def test_another_tenants_secret_is_401(deliver, alpha, personas):
    connect(personas.tenant_b, secret="carols-own-shopify-secret")
    response = deliver("orders_create.json", "orders/create", secret="carols-own-shopify-secret")
    assert response.status_code == 401
    assert rows(Order, alpha) == [] and rows(Order, personas.tenant_b) == []


@pytest.mark.django_db
def test_the_previous_secret_is_accepted_only_while_it_is_configured(deliver, personas):
    connect(personas.tenant_a, secret="new-secret", previous_webhook_secret="old-secret")
    assert deliver("orders_create.json", "orders/create", secret="old-secret").status_code == 200
    assert deliver("orders_create.json", "orders/updated", secret="new-secret").status_code == 200
    connect(personas.tenant_a, secret="new-secret")  # rotation finished
    assert deliver("orders_create.json", "orders/updated", secret="old-secret").status_code == 401


@pytest.mark.django_db
def test_a_store_without_a_shopify_secret_answers_401(deliver, personas):
    response = deliver("orders_create.json", "orders/create")
    assert response.status_code == 401
    assert "No Shopify webhook secret" in response.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("domain", ["someone-else.myshopify.com", None])
def test_a_shop_domain_other_than_the_connected_one_is_401(deliver, alpha, domain):
    response = deliver("orders_create.json", "orders/create", domain=domain)
    assert response.status_code == 401
    assert DOMAIN not in response.content.decode()
    assert rows(Order, alpha) == []


# Answers --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_signed_order_is_answered_200_and_applied_by_the_task(deliver, alpha):
    response = deliver("orders_create.json", "orders/create", webhook_id="wh-1")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    inbound = last_inbound(alpha)
    assert inbound.source == "shopify" and inbound.provider_event_id == "wh-1"
    assert inbound.status == InboundWebhook.Status.PROCESSED and inbound.attempts == 1
    assert {"X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id"} <= set(inbound.headers)
    assert [o.number for o in rows(Order, alpha)] == ["#1001"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"id": 1}'])
def test_a_body_we_cannot_read_is_400_and_kept(deliver, alpha, body):
    response = deliver(body, "orders/create")
    assert response.status_code == 400
    inbound = last_inbound(alpha)
    assert inbound.status == InboundWebhook.Status.INVALID and bytes(inbound.body) == body


@pytest.mark.django_db
def test_a_fulfillment_without_an_order_id_is_400(deliver, alpha):
    body = json.dumps({"id": 1, "tracking_numbers": ["1Z"]}).encode()
    response = deliver(body, "fulfillments/create")
    assert response.status_code == 400
    assert "order_id" in response.json()["error"]["details"]


@pytest.mark.django_db
def test_an_unknown_topic_is_ignored_with_204(deliver, alpha):
    response = deliver(b'{"id": 632910392}', "products/update")
    assert response.status_code == 204
    assert last_inbound(alpha).status == InboundWebhook.Status.IGNORED


@pytest.mark.django_db
def test_a_duplicate_webhook_id_is_200_and_applied_once(deliver, alpha):
    assert deliver("orders_create.json", "orders/create", webhook_id="wh-same").status_code == 200
    response = deliver("orders_create.json", "orders/create", webhook_id="wh-same")
    assert response.status_code == 200 and response.json()["status"] == "duplicate"
    assert last_inbound(alpha).status == InboundWebhook.Status.DUPLICATE
    with tenant_scope(alpha):
        assert Order.objects.get().events.exclude(kind="message").count() == 1


@pytest.mark.django_db
@override_settings(WEBHOOK_MAX_BODY_BYTES=100)
def test_a_body_too_large_is_413_and_what_arrived_is_kept(deliver, alpha):
    response = deliver("orders_create.json", "orders/create")
    assert response.status_code == 413
    inbound = last_inbound(alpha)
    assert inbound.body_truncated and len(bytes(inbound.body)) == 100
    assert inbound.status == InboundWebhook.Status.INVALID


@pytest.mark.django_db
def test_an_unknown_store_is_404(deliver, alpha):
    assert deliver("orders_create.json", "orders/create", url="/webhooks/shopify/nobody/").status_code == 404


# Replay and the sweep -------------------------------------------------------------------

@pytest.mark.django_db
def test_replay_applies_a_body_rejected_before_the_secret_was_set(deliver, personas, committed):
    assert deliver("orders_create.json", "orders/create").status_code == 401
    inbound = last_inbound(personas.tenant_a)
    connect(personas.tenant_a)
    with tenant_scope(personas.tenant_a), committed():
        receipt = inbound_replay(personas.tenant_a, inbound.pk)
    assert receipt.status == InboundWebhook.Status.QUEUED
    with tenant_scope(inbound.tenant):
        inbound.refresh_from_db()
    assert inbound.status == InboundWebhook.Status.PROCESSED
    assert [o.number for o in rows(Order, personas.tenant_a)] == ["#1001"]


@pytest.mark.django_db
def test_the_sweep_applies_a_shopify_delivery_the_broker_lost(client, alpha):
    body = fixture_bytes("orders_create.json")
    # No on-commit capture: the fast path never runs, as when the broker is down.
    response = client.generic("POST", URL, body, content_type="application/json",
                              HTTP_X_SHOPIFY_TOPIC="orders/create", HTTP_X_SHOPIFY_SHOP_DOMAIN=DOMAIN,
                              HTTP_X_SHOPIFY_WEBHOOK_ID="wh-lost",
                              HTTP_X_SHOPIFY_HMAC_SHA256=hmac_sha256_b64(SECRET, body))
    assert response.status_code == 200
    with tenant_scope(alpha):
        InboundWebhook.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert rows(Order, alpha) == []
    tracking_sweep()
    assert last_inbound(alpha).status == InboundWebhook.Status.PROCESSED
    assert [o.number for o in rows(Order, alpha)] == ["#1001"]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)
