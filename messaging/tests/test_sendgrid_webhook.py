"""SendGrid's signed Event Webhook: raw body kept first, ECDSA verified (SendGrid's published
vectors and our own key pairs), events stored once, statuses only forward, suppressions and
consent from bounces, complaints and unsubscribes."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sendgrid.helpers.eventwebhook import EventWebhook

from messaging.models import Message, MessageEvent, Suppression
from messaging.webhooks.sendgrid import signature_valid
from orders.models import ConsentSource
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.models import InboundWebhook

from .callbacks_support import make_customer, make_message, reload, rows

S = Message.Status
URL = "/webhooks/sendgrid/alpha/"

# SendGrid's published vector (sendgrid-python test/unit/test_eventwebhook.py).
PUBLISHED_KEY = ("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpV"
                 "KS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==")
PUBLISHED_TIMESTAMP = "1600112502"
PUBLISHED_SIGNATURE = ("MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQ"
                       "AbPIqHh89M15TluLtEZtM=")
PUBLISHED_BODY = json.dumps([{
    "email": "hello@world.com", "event": "dropped", "reason": "Bounced Address",
    "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
    "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
    "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
    "timestamp": 1600112492}], sort_keys=True, separators=(",", ":")).encode() + b"\r\n"
OTHER_KEY = ("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWH"
             "w8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==")


class Signer:
    """A SendGrid account of our own: a P-256 key pair; signs as SendGrid does."""

    def __init__(self):
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.public_b64 = base64.b64encode(self.private.public_key().public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()

    def headers(self, body: bytes, timestamp: str = "1714636800") -> dict[str, str]:
        signature = self.private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {"HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
                "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": timestamp}


def use_key(tenant, public_key: str) -> None:
    with tenant_scope(tenant):
        tenant_services.credential_set(tenant, "sendgrid", {
            "api_key": "SG.abcdefghijkl.mnopqrstuvwxyz", "webhook_public_key": public_key})


@pytest.fixture
def signer(personas) -> Signer:
    signer = Signer()
    use_key(personas.tenant_a, signer.public_b64)
    return signer


@pytest.fixture
def post(client, signer):
    def send(events, *, url: str = URL, by: Signer | None = None, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(events).encode() + b"\r\n"
        return client.generic("POST", url, body, content_type="application/json",
                              **(by or signer).headers(body))

    return send


def event(message: Message | None, kind: str, event_id: str, **fields) -> dict:
    base = {"email": message.recipient if message else "x@shopper.test", "timestamp": 1714636800,
            "event": kind, "sg_event_id": event_id, "sg_message_id": "other.filter0001.0"}
    if message is not None:
        base["doorstep_message_id"] = str(message.pk)
    return base | fields


# --- signatures ---------------------------------------------------------------------------

def test_the_published_vector_verifies():
    assert len(PUBLISHED_BODY) == 327
    assert signature_valid(PUBLISHED_KEY, PUBLISHED_SIGNATURE, PUBLISHED_TIMESTAMP, PUBLISHED_BODY)


def test_our_verifier_agrees_with_sendgrids_library_on_the_published_vector():
    library = EventWebhook(PUBLISHED_KEY)
    assert library.verify_signature(PUBLISHED_BODY.decode(), PUBLISHED_SIGNATURE,
                                    PUBLISHED_TIMESTAMP)
    assert not library.verify_signature(PUBLISHED_BODY[:-2].decode(), PUBLISHED_SIGNATURE,
                                        PUBLISHED_TIMESTAMP)


@pytest.mark.parametrize(("key", "signature", "timestamp", "body"), [
    (PUBLISHED_KEY, PUBLISHED_SIGNATURE, PUBLISHED_TIMESTAMP, PUBLISHED_BODY[:-2]),  # no CRLF
    (OTHER_KEY, PUBLISHED_SIGNATURE, PUBLISHED_TIMESTAMP, PUBLISHED_BODY),
    (PUBLISHED_KEY, PUBLISHED_SIGNATURE, "1600112503", PUBLISHED_BODY),
    (OTHER_KEY, "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRam"
                "r2nlxFDWYNH3j/0=", "timestamp", b"payload"),
    (PUBLISHED_KEY, "not base64!", PUBLISHED_TIMESTAMP, PUBLISHED_BODY),
    (PUBLISHED_KEY, "", PUBLISHED_TIMESTAMP, PUBLISHED_BODY),
    ("not a key", PUBLISHED_SIGNATURE, PUBLISHED_TIMESTAMP, PUBLISHED_BODY),
])
def test_the_published_negative_vectors_and_tampering_fail(key, signature, timestamp, body):
    assert not signature_valid(key, signature, timestamp, body)


@pytest.mark.django_db
def test_the_published_delivery_is_accepted_end_to_end(client, personas):
    use_key(personas.tenant_a, PUBLISHED_KEY)
    response = client.generic(
        "POST", URL, PUBLISHED_BODY, content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=PUBLISHED_SIGNATURE,
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=PUBLISHED_TIMESTAMP)
    assert response.status_code == 200
    [inbound] = rows(InboundWebhook, personas.tenant_a)
    assert bytes(inbound.body) == PUBLISHED_BODY
    assert (inbound.source, inbound.status) == ("sendgrid", InboundWebhook.Status.PROCESSED)
    [stored] = rows(MessageEvent, personas.tenant_a)
    assert (stored.kind, stored.message_id) == ("dropped", None)
    # SendGrid dropped it because the address bounced before: we stop trying too.
    [suppressed] = rows(Suppression, personas.tenant_a)
    assert (suppressed.address, suppressed.reason) == ("hello@world.com", "hard_bounce")


@pytest.mark.django_db
def test_a_missing_signature_is_401_and_the_body_is_still_kept(client, signer, personas):
    response = client.generic("POST", URL, b'[{"event":"delivered"}]',
                              content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    [inbound] = rows(InboundWebhook, personas.tenant_a)
    assert inbound.status == InboundWebhook.Status.REJECTED
    assert bytes(inbound.body) == b'[{"event":"delivered"}]'
    assert rows(MessageEvent, personas.tenant_a) == []


@pytest.mark.django_db
def test_a_store_without_a_verification_key_refuses_everything(client, personas):
    body = b'[{"event":"delivered"}]'
    response = client.generic("POST", URL, body, content_type="application/json",
                              **Signer().headers(body))
    assert response.status_code == 401
    assert "No event webhook verification key" in rows(InboundWebhook, personas.tenant_a)[0].error


@pytest.mark.django_db
def test_a_signed_body_that_is_not_an_event_array_is_400(post, personas):
    assert post(None, raw=b'{"event": "delivered"}').status_code == 400
    assert post(None, raw=b"not json").status_code == 400
    statuses = {i.status for i in rows(InboundWebhook, personas.tenant_a)}
    assert statuses == {InboundWebhook.Status.INVALID}


@pytest.mark.django_db
def test_an_empty_batch_is_ignored_with_204(post):
    assert post([]).status_code == 204


@pytest.mark.django_db
def test_an_unknown_store_is_404(post):
    assert post([], url="/webhooks/sendgrid/nobody/").status_code == 404


# --- cross-tenant -------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_body_signed_with_tenant_bs_key_is_refused_at_tenant_as_url(post, personas):
    carols_account = Signer()
    use_key(personas.tenant_b, carols_account.public_b64)
    message = make_message(personas.tenant_a)
    response = post([event(message, "delivered", "evt-b-1")], by=carols_account)
    assert response.status_code == 401
    assert reload(message).status == S.SENT
    assert rows(MessageEvent, personas.tenant_a) == []


@pytest.mark.django_db
def test_tenant_bs_message_id_in_tenant_as_webhook_touches_nothing_of_b(post, personas):
    bs_message = make_message(personas.tenant_b)
    assert post([event(bs_message, "bounce", "evt-x", type="bounce")]).status_code == 200
    assert reload(bs_message).status == S.SENT
    assert rows(MessageEvent, personas.tenant_b) == []
    assert rows(Suppression, personas.tenant_b) == []
    [stored] = rows(MessageEvent, personas.tenant_a)
    assert stored.message_id is None


# --- events and statuses ------------------------------------------------------------------

@pytest.mark.django_db
def test_delivered_open_click_move_the_message_forward_and_a_late_delivered_does_not_undo(
        post, personas):
    message = make_message(personas.tenant_a)
    assert post([event(message, "processed", "e1"), event(message, "delivered", "e2"),
                 event(message, "open", "e3"), event(message, "click", "e4",
                                                     url="https://alpha.test/a")]).status_code == 200
    message = reload(message)
    assert message.status == S.CLICKED
    assert message.delivered_at and message.opened_at and message.clicked_at
    post([event(message, "delivered", "e5"), event(message, "processed", "e6")])
    assert reload(message).status == S.CLICKED
    assert len(rows(MessageEvent, personas.tenant_a, message=message)) == 6


@pytest.mark.django_db
def test_an_open_after_the_click_still_records_when_it_was_opened(post, personas):
    message = make_message(personas.tenant_a)
    post([event(message, "click", "c1")])
    post([event(message, "open", "o1")])
    message = reload(message)
    assert message.status == S.CLICKED and message.opened_at is not None


@pytest.mark.django_db
def test_the_same_batch_twice_stores_each_event_once(post, personas):
    message = make_message(personas.tenant_a)
    batch = [event(message, "delivered", "d1"), event(message, "open", "o1")]
    first, second = post(batch), post(batch)
    assert first.json()["new"] == 2 and second.json()["new"] == 0
    assert len(rows(MessageEvent, personas.tenant_a)) == 2
    statuses = [i.status for i in rows(InboundWebhook, personas.tenant_a)]
    assert sorted(statuses) == ["duplicate", "processed"]


@pytest.mark.django_db
def test_events_without_our_id_are_matched_by_sendgrids_message_id(post, personas):
    message = make_message(personas.tenant_a, provider_message_id="14c5d75ce93")
    body = event(None, "delivered", "d1", sg_message_id="14c5d75ce93.filter0001.0")
    post([body])
    assert reload(message).status == S.DELIVERED


@pytest.mark.django_db
def test_a_machine_open_is_kept_but_does_not_count_as_opened(post, personas):
    message = make_message(personas.tenant_a, status=S.DELIVERED)
    post([event(message, "open", "o1", sg_machine_open=True)])
    assert reload(message).status == S.DELIVERED
    assert rows(MessageEvent, personas.tenant_a)[0].kind == "open"


@pytest.mark.django_db
def test_a_hard_bounce_bounces_the_message_and_suppresses_the_address(post, personas):
    message = make_message(personas.tenant_a, recipient="Ann.Bounce@Shopper.test")
    post([event(message, "bounce", "b1", type="bounce", reason="550 5.1.1 unknown user",
                status="5.1.1")])
    message = reload(message)
    assert message.status == S.BOUNCED
    assert message.status_reason == "Hard bounce: 550 5.1.1 unknown user"
    [suppressed] = rows(Suppression, personas.tenant_a)
    assert (suppressed.channel, suppressed.address, suppressed.reason, suppressed.source) == (
        "email", "ann.bounce@shopper.test", "hard_bounce", "sendgrid")


@pytest.mark.django_db
def test_a_soft_bounce_bounces_the_message_but_keeps_the_address(post, personas):
    message = make_message(personas.tenant_a)
    post([event(message, "bounce", "b1", type="blocked", reason="421 try later")])
    message = reload(message)
    assert message.status == S.BOUNCED
    assert message.status_reason.startswith("Soft bounce (blocked)")
    assert rows(Suppression, personas.tenant_a) == []


@pytest.mark.django_db
def test_a_late_bounce_does_not_hide_a_delivery_and_nothing_leaves_bounced(post, personas):
    delivered = make_message(personas.tenant_a, status=S.OPENED)
    bounced = make_message(personas.tenant_a, status=S.BOUNCED)
    post([event(delivered, "bounce", "b1", type="bounce"),
          event(bounced, "delivered", "d1"), event(bounced, "click", "c1")])
    assert reload(delivered).status == S.OPENED
    assert reload(bounced).status == S.BOUNCED
    # Both stored, and the bounce still puts the address on the list.
    assert len(rows(MessageEvent, personas.tenant_a)) == 3
    assert rows(Suppression, personas.tenant_a)[0].address == delivered.recipient


@pytest.mark.django_db
def test_deferred_changes_nothing_and_dropped_fails_the_message(post, personas):
    deferred = make_message(personas.tenant_a)
    dropped = make_message(personas.tenant_a)
    post([event(deferred, "deferred", "f1", attempt="1"),
          event(dropped, "dropped", "x1", reason="Unsubscribed Address")])
    assert reload(deferred).status == S.SENT
    dropped = reload(dropped)
    assert dropped.status == S.FAILED
    assert dropped.status_reason == "Dropped by SendGrid: Unsubscribed Address"
    assert rows(Suppression, personas.tenant_a)[0].reason == "unsubscribed"


@pytest.mark.django_db
def test_a_spam_report_suppresses_and_ends_marketing(post, personas):
    customer = make_customer(personas.tenant_a)
    message = make_message(personas.tenant_a, customer=customer, status=S.DELIVERED)
    post([event(message, "spamreport", "s1")])
    assert reload(message).status == S.DELIVERED
    assert rows(Suppression, personas.tenant_a)[0].reason == "spam_report"
    assert reload(customer).marketing_email_consent is False


@pytest.mark.django_db
def test_an_unsubscribe_suppresses_and_turns_marketing_consent_off_with_its_source(
        post, personas):
    customer = make_customer(personas.tenant_a, email="ann@shopper.test")
    message = make_message(personas.tenant_a, customer=customer)
    post([event(message, "unsubscribe", "u1")])
    [suppressed] = rows(Suppression, personas.tenant_a)
    assert (suppressed.reason, suppressed.address) == ("unsubscribed", "ann@shopper.test")
    customer = reload(customer)
    assert customer.marketing_email_consent is False
    assert customer.marketing_email_consent_source == ConsentSource.PREFERENCE_PAGE
    assert customer.marketing_email_consent_at is not None
    assert customer.transactional_email_consent is True


@pytest.mark.django_db
def test_a_group_unsubscribe_ends_marketing_but_does_not_suppress(post, personas):
    customer = make_customer(personas.tenant_a)
    message = make_message(personas.tenant_a, customer=customer)
    post([event(message, "group_unsubscribe", "g1", asm_group_id=42)])
    assert rows(Suppression, personas.tenant_a) == []
    assert reload(customer).marketing_email_consent is False
