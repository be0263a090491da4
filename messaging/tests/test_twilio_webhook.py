"""Twilio status callbacks: signed over the public URL as Twilio signs them (RequestValidator,
and Twilio's published vector), stored raw first, statuses forward only, 21610 suppresses."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from twilio.request_validator import RequestValidator

from messaging.models import Message, MessageEvent, Suppression
from orders.models import ConsentSource
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.inbound import inbound_replay
from tenants.models import InboundWebhook

from .callbacks_support import make_customer, make_message, reload, rows

S = Message.Status
BASE = "https://doorstep.example"
ALPHA_TOKEN = "a1" * 16
BETA_TOKEN = "b2" * 16
PLATFORM_TOKEN = "c3" * 16
FORM = "application/x-www-form-urlencoded"  # as Twilio posts


def use_token(tenant, token: str) -> None:
    with tenant_scope(tenant):
        tenant_services.credential_set(tenant, "twilio", {
            "account_sid": "AC" + "0f" * 16, "auth_token": token, "from_number": "+14155550100"})


@pytest.fixture(autouse=True)
def public_base(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.TWILIO_AUTH_TOKEN = ""


@pytest.fixture
def alpha(personas):
    use_token(personas.tenant_a, ALPHA_TOKEN)
    return personas.tenant_a


@pytest.fixture
def callback(client):
    """POST a status callback for `message`, signed as Twilio signs the URL we gave it."""

    def send(message: Message | None, status: str, *, token: str = ALPHA_TOKEN,
             sid: str | None = None, signed_url: str | None = None, slug: str = "alpha",
             **extra):
        path = f"/webhooks/twilio/{slug}/status/"
        query = f"?m={message.pk}" if message else ""
        params = {"AccountSid": "AC" + "0f" * 16, "ApiVersion": "2010-04-01",
                  "From": "+14155550100", "To": message.recipient if message else "+4917000000",
                  "MessageSid": sid or (message.provider_message_id if message else "SMnone"),
                  "MessageStatus": status, "SmsStatus": status} | extra
        params = {k: v for k, v in params.items() if v is not None}
        signature = RequestValidator(token).compute_signature(
            signed_url or f"{BASE}{path}{query}", params)
        return client.post(path + query, urlencode(params), HTTP_X_TWILIO_SIGNATURE=signature,
                           content_type=FORM)

    return send


def test_twilios_published_vector_validates_from_a_form_body_as_we_parse_it():
    body = ("AccountSid=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&ApiVersion=2010-04-01&From=%2B15005550006"
            "&MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&MessageStatus=delivered"
            "&SmsSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&SmsStatus=delivered&To=%2B15558675310")
    validator = RequestValidator("12345")
    assert validator.validate("https://example.com/webhooks/twilio/status", QueryDict(body),
                              "ks6dtNAxAhncJlbFvBJpry7JXUU=")
    assert not validator.validate("https://example.com/webhooks/twilio/status/",
                                  QueryDict(body), "ks6dtNAxAhncJlbFvBJpry7JXUU=")


@pytest.mark.django_db
def test_delivery_reports_move_the_message_forward_and_never_back(callback, alpha):
    message = make_message(alpha, "sms")
    assert callback(message, "sent").status_code == 200
    assert callback(message, "delivered").status_code == 200
    assert callback(message, "sent", sid=message.provider_message_id).status_code == 200
    message = reload(message)
    assert message.status == S.DELIVERED and message.delivered_at is not None
    assert [e.kind for e in rows(MessageEvent, alpha, message=message)] == ["sent", "delivered"]


@pytest.mark.django_db
def test_the_body_is_stored_before_anything_else(callback, alpha):
    message = make_message(alpha, "sms")
    callback(message, "delivered")
    [inbound] = rows(InboundWebhook, alpha)
    assert inbound.source == "twilio" and inbound.query == f"m={message.pk}"
    assert b"MessageStatus=delivered" in bytes(inbound.body)
    assert inbound.status == InboundWebhook.Status.PROCESSED


@pytest.mark.django_db
def test_undelivered_fails_the_message_with_the_error_code(callback, alpha):
    message = make_message(alpha, "sms")
    callback(message, "undelivered", ErrorCode="30003")
    message = reload(message)
    assert message.status == S.FAILED
    assert message.status_reason == "Twilio: undelivered, error 30003 (unreachable handset)"
    assert rows(Suppression, alpha) == []


@pytest.mark.django_db
def test_a_failure_after_delivery_does_not_undo_it(callback, alpha):
    message = make_message(alpha, "sms", status=S.DELIVERED)
    callback(message, "failed", ErrorCode="30008")
    assert reload(message).status == S.DELIVERED


@pytest.mark.django_db
def test_21610_puts_the_number_on_the_list_and_ends_sms_consent(callback, alpha):
    customer = make_customer(alpha)
    message = make_message(alpha, "sms", customer=customer)
    callback(message, "failed", ErrorCode="21610")
    [suppressed] = rows(Suppression, alpha)
    assert (suppressed.channel, suppressed.address, suppressed.reason) == (
        "sms", customer.phone, "sms_stop")
    customer = reload(customer)
    assert customer.transactional_sms_consent is False
    assert customer.transactional_sms_consent_source == ConsentSource.SMS_KEYWORD


@pytest.mark.django_db
def test_the_same_report_twice_is_stored_once(callback, alpha):
    message = make_message(alpha, "sms")
    callback(message, "delivered")
    callback(message, "delivered")
    assert len(rows(MessageEvent, alpha)) == 1
    assert sorted(i.status for i in rows(InboundWebhook, alpha)) == ["duplicate", "processed"]


@pytest.mark.django_db
def test_an_uncertain_send_is_resolved_by_the_report_and_learns_its_sid(callback, alpha):
    message = make_message(alpha, "sms", status=S.UNCERTAIN, provider_message_id="")
    callback(message, "delivered", sid="SM" + "9" * 32)
    message = reload(message)
    assert message.status == S.DELIVERED
    assert message.provider_message_id == "SM" + "9" * 32


@pytest.mark.django_db
def test_a_message_id_that_disagrees_with_the_sid_is_found_by_the_sid(callback, alpha):
    named = make_message(alpha, "sms")
    actual = make_message(alpha, "sms")
    callback(named, "delivered", sid=actual.provider_message_id)
    assert reload(named).status == S.SENT
    assert reload(actual).status == S.DELIVERED


@pytest.mark.django_db
def test_a_report_for_no_message_of_ours_is_204(callback, alpha):
    assert callback(None, "delivered").status_code == 204


@pytest.mark.django_db
def test_a_report_without_a_status_is_400(callback, alpha):
    message = make_message(alpha, "sms")
    assert callback(message, None).status_code == 400


@pytest.mark.django_db
def test_a_missing_signature_is_401(client, alpha):
    message = make_message(alpha, "sms")
    response = client.post(f"/webhooks/twilio/alpha/status/?m={message.pk}",
                           urlencode({"MessageSid": message.provider_message_id,
                                      "MessageStatus": "delivered"}), content_type=FORM)
    assert response.status_code == 401
    assert reload(message).status == S.SENT
    assert rows(InboundWebhook, alpha)[0].status == InboundWebhook.Status.REJECTED


@pytest.mark.django_db
def test_a_signature_over_the_internal_url_is_refused(callback, alpha):
    """We verify against PUBLIC_BASE_URL (what Twilio was given), not the Host we see."""
    message = make_message(alpha, "sms")
    internal = f"http://testserver/webhooks/twilio/alpha/status/?m={message.pk}"
    assert callback(message, "delivered", signed_url=internal).status_code == 401


@pytest.mark.django_db
def test_the_query_is_part_of_what_is_signed(callback, alpha):
    message = make_message(alpha, "sms")
    unsigned_query = f"{BASE}/webhooks/twilio/alpha/status/"
    assert callback(message, "delivered", signed_url=unsigned_query).status_code == 401


@pytest.mark.django_db
def test_the_platform_token_signs_for_stores_without_their_own_account(callback, personas,
                                                                       settings):
    settings.TWILIO_AUTH_TOKEN = PLATFORM_TOKEN
    message = make_message(personas.tenant_a, "sms")
    assert callback(message, "delivered", token=PLATFORM_TOKEN).status_code == 200
    assert reload(message).status == S.DELIVERED


@pytest.mark.django_db
def test_no_token_anywhere_refuses_everything(callback, personas):
    message = make_message(personas.tenant_a, "sms")
    assert callback(message, "delivered", token=ALPHA_TOKEN).status_code == 401


@pytest.mark.django_db
def test_a_report_signed_with_tenant_bs_token_is_refused_at_tenant_as_url(callback, alpha,
                                                                          personas):
    use_token(personas.tenant_b, BETA_TOKEN)
    message = make_message(alpha, "sms")
    assert callback(message, "delivered", token=BETA_TOKEN).status_code == 401
    assert reload(message).status == S.SENT


@pytest.mark.django_db
def test_tenant_bs_message_named_at_tenant_as_url_is_not_touched(callback, alpha, personas):
    bs_message = make_message(personas.tenant_b, "sms")
    assert callback(bs_message, "failed", ErrorCode="21610").status_code == 204
    assert reload(bs_message).status == S.SENT
    assert rows(MessageEvent, personas.tenant_b) == []
    assert rows(Suppression, personas.tenant_b) == []


@pytest.mark.django_db
def test_a_refused_callback_is_applied_when_replayed_from_the_webhook_log(callback, personas):
    from tenants.context import tenant_scope

    message = make_message(personas.tenant_a, "sms", status=S.SENT,
                           provider_message_id="SMreplay1", recipient="+491701234567")
    assert callback(message, "delivered").status_code == 401  # no token configured yet
    use_token(personas.tenant_a, ALPHA_TOKEN)
    stored = rows(InboundWebhook, personas.tenant_a)[0]
    with tenant_scope(personas.tenant_a):
        receipt = inbound_replay(personas.tenant_a, stored.pk)
    assert receipt.status == "processed"
    assert reload(message).status == S.DELIVERED
