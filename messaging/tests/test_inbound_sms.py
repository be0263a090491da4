"""Texts from shoppers: opt-out and opt-in keywords recorded with time and source and honoured
at once, HELP and WHERE answered in TwiML, everything else kept quietly."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from messaging import dispatch
from messaging.models import Message, MessageEvent, Suppression
from messaging.webhooks.sms_keywords import keyword_of
from orders.models import ConsentSource
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tracking.models import Shipment
from tracking.services import shipment_create

from .callbacks_support import make_customer, make_message, make_order, reload, rows

BASE = "https://doorstep.example"
TOKEN = "a1" * 16
_sids = itertools.count(1)


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.TWILIO_AUTH_TOKEN = ""


@pytest.fixture
def alpha(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        tenant_services.credential_set(tenant, "twilio", {
            "account_sid": "AC" + "0f" * 16, "auth_token": TOKEN, "from_number": "+14155550100"})
        tenant_services.brand_update(tenant, sender_name="Alpha Outfitters", sms_sender="ALPHA",
                                     reply_to="help@alpha.test")
    return tenant


@pytest.fixture
def text(client):
    """A shopper's text as Twilio forwards it to the store's inbound URL; returns the reply
    (None for an empty <Response/>) and the HTTP response."""

    def send(body: str, *, phone: str, token: str = TOKEN, sid: str | None = None,
             slug: str = "alpha"):
        path = f"/webhooks/twilio/{slug}/inbound/"
        params = {"AccountSid": "AC" + "0f" * 16, "ApiVersion": "2010-04-01", "Body": body,
                  "From": phone, "To": "+14155550100", "NumMedia": "0", "NumSegments": "1",
                  "MessageSid": sid or f"SM{next(_sids):032x}", "SmsStatus": "received"}
        signature = RequestValidator(token).compute_signature(f"{BASE}{path}", params)
        response = client.post(path, urlencode(params), HTTP_X_TWILIO_SIGNATURE=signature,
                               content_type="application/x-www-form-urlencoded")
        if response.status_code != 200:
            return None, response
        assert response["Content-Type"].startswith("text/xml")
        messages = ElementTree.fromstring(response.content).findall("Message")
        return (messages[0].text if messages else None), response

    return send


@pytest.mark.parametrize(("body", "keyword"), [
    ("STOP", "STOP"), ("stop", "STOP"), ("  Stop \n", "STOP"), ("stop!", "STOP"),
    ("Unsubscribe", "UNSUBSCRIBE"), ("optout", "OPTOUT"), ("start", "START"), ("help", "HELP"),
    ("where", "WHERE"), ("STOP PLEASE", None), ("please stop", None), ("", None),
    ("stopp", None),
])
def test_a_keyword_is_one_word_in_any_case(body, keyword):
    assert keyword_of(body) == keyword


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "cancel", "END", "quit",
                                  "REVOKE", "OptOut"])
def test_every_opt_out_keyword_suppresses_the_number_and_ends_sms_consent(text, alpha, word):
    customer = make_customer(alpha)
    before = timezone.now()
    reply, response = text(f" {word} ", phone=customer.phone)
    assert response.status_code == 200 and reply is None  # Twilio confirms opt-outs itself
    [suppressed] = rows(Suppression, alpha)
    assert (suppressed.channel, suppressed.address, suppressed.reason, suppressed.source) == (
        "sms", customer.phone, "sms_stop", "twilio")
    assert suppressed.created_at >= before
    customer = reload(customer)
    for purpose in ("transactional_sms", "marketing_sms"):
        assert getattr(customer, f"{purpose}_consent") is False
        assert getattr(customer, f"{purpose}_consent_source") == ConsentSource.SMS_KEYWORD
        assert getattr(customer, f"{purpose}_consent_at") >= before
    assert customer.transactional_email_consent is True


@pytest.mark.django_db
def test_stop_in_a_sentence_is_kept_but_opts_nobody_out(text, alpha):
    customer = make_customer(alpha)
    reply, _ = text("STOP PLEASE", phone=customer.phone)
    assert reply is None
    assert rows(Suppression, alpha) == []
    assert reload(customer).transactional_sms_consent is True
    [stored] = rows(MessageEvent, alpha)
    assert (stored.kind, stored.data["body"], stored.data["keyword"]) == (
        "inbound_sms", "STOP PLEASE", "")


@pytest.mark.django_db
def test_a_stop_stops_the_next_sms_at_once(text, alpha):
    customer = make_customer(alpha)
    due = make_message(alpha, "sms", customer=customer, status=Message.Status.QUEUED,
                       provider="", provider_message_id="", sent_at=None)
    text("STOP", phone=customer.phone)
    with tenant_scope(alpha):
        dispatch.message_send(alpha, due.pk)
    assert reload(due).status == Message.Status.SUPPRESSED


@pytest.mark.django_db
def test_start_lifts_the_stop_and_restores_transactional_texts_only(text, alpha):
    customer = make_customer(alpha)
    text("STOP", phone=customer.phone)
    reply, _ = text("Start", phone=customer.phone)
    assert reply is None
    assert rows(Suppression, alpha) == []
    customer = reload(customer)
    assert customer.transactional_sms_consent is True
    assert customer.transactional_sms_consent_source == ConsentSource.SMS_KEYWORD
    assert customer.marketing_sms_consent is False


@pytest.mark.django_db
def test_start_does_not_lift_an_invalid_number(text, alpha):
    with tenant_scope(alpha):
        Suppression.objects.create(tenant=alpha, channel="sms", address="+4917099999999",
                                   reason=Suppression.Reason.INVALID, source="twilio")
    text("START", phone="+4917099999999")
    assert rows(Suppression, alpha)[0].reason == "invalid"


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_answers_with_the_brands_help_text(text, alpha, word):
    reply, _ = text(word, phone="+4917011111111")
    assert reply.startswith("Alpha Outfitters:")
    assert "ALPHA" in reply and "help@alpha.test" in reply
    assert reply.endswith("Reply STOP to opt out.")


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["WHERE", "status"])
def test_where_answers_with_the_latest_shipment_status_estimate_and_link(text, alpha, word):
    customer = make_customer(alpha)
    older_order = make_order(alpha, customer)
    order = make_order(alpha, customer, number="#1042")
    with tenant_scope(alpha):
        old = shipment_create(alpha, carrier="DHL", tracking_number="OLD1", order=older_order)
        latest = shipment_create(alpha, carrier="DHL", tracking_number="NEW1", order=order)
        Shipment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=9))
        Shipment.objects.filter(pk=latest.pk).update(
            status="out_for_delivery", carrier_estimated_delivery=date(2026, 11, 3))
    reply, _ = text(word, phone=customer.phone)
    assert reply == (f"Alpha Outfitters order #1042: Out for delivery. Estimated delivery: "
                     f"Tue 3 Nov. Track it: {BASE}/t/{latest.public_token}/?src=sms")


@pytest.mark.django_db
def test_where_without_a_shipment_says_so(text, alpha):
    reply, _ = text("where", phone="+4917022222222")
    assert "could not find a delivery" in reply and "help@alpha.test" in reply


@pytest.mark.django_db
def test_anything_else_is_kept_for_the_agent_beside_the_last_text_we_sent(text, alpha):
    customer = make_customer(alpha)
    message = make_message(alpha, "sms", customer=customer)
    reply, response = text("Can you leave it with the neighbour?", phone=customer.phone)
    assert reply is None and b"<Response" in response.content
    [stored] = rows(MessageEvent, alpha)
    assert stored.message_id == message.pk and stored.source == "twilio"


@pytest.mark.django_db
def test_the_same_text_twice_is_kept_once_and_answered_both_times(text, alpha):
    first, _ = text("HELP", phone="+4917033333333", sid="SM" + "1" * 32)
    second, _ = text("HELP", phone="+4917033333333", sid="SM" + "1" * 32)
    assert first == second and first
    assert len(rows(MessageEvent, alpha)) == 1


@pytest.mark.django_db
def test_an_unsigned_text_is_401_and_opts_nobody_out(client, alpha):
    customer = make_customer(alpha)
    response = client.post("/webhooks/twilio/alpha/inbound/",
                           urlencode({"From": customer.phone, "Body": "STOP"}),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401
    assert rows(Suppression, alpha) == []


@pytest.mark.django_db
def test_a_text_signed_with_tenant_bs_token_is_refused_at_tenant_as_url(text, alpha, personas):
    with tenant_scope(personas.tenant_b):
        tenant_services.credential_set(personas.tenant_b, "twilio", {
            "account_sid": "AC" + "0e" * 16, "auth_token": "b2" * 16, "from_number": "+14155550101"})
    customer = make_customer(alpha)
    _, response = text("STOP", phone=customer.phone, token="b2" * 16)
    assert response.status_code == 401
    assert rows(Suppression, alpha) == []
    assert reload(customer).transactional_sms_consent is True


@pytest.mark.django_db
def test_a_stop_at_tenant_as_url_leaves_tenant_b_alone(text, alpha, personas):
    phone = "+4917044444444"
    bs_customer = make_customer(personas.tenant_b, phone=phone)
    text("STOP", phone=phone)
    assert rows(Suppression, personas.tenant_b) == []
    assert reload(bs_customer).transactional_sms_consent is True
    assert len(rows(Suppression, alpha)) == 1
