"""Hardening, point 1 (issue 15): the requests that answered 500, each replayed as it was sent.

Every JSON endpoint reads bodies through config/untrusted.py: a document nested 100,000 deep,
a number of 5,000 digits or a NUL character is refused with 400 in the API's error shape, and a
webhook body that is refused is kept in a final state (never left `received`). Ids written in
digits that are not ASCII ("²" passes str.isdigit() and fails int()) are ids we do not know."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from config.untrusted import MAX_DEPTH, JsonError, digits_int, json_parse
from messaging.models import MessageEvent
from messaging.tests.callbacks_support import make_message, rows
from messaging.tests.test_sendgrid_webhook import Signer, event, use_key
from messaging.tests.test_twilio_webhook import ALPHA_TOKEN, BASE, FORM, use_token
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.models import InboundWebhook
from tracking.carriers.signatures import (
    easypost_signature,
    hmac_sha256_b64,
    shippo_signature,
    verify_shippo_hmac,
)

SECRET = "whsec-alpha"
DEEP = b"[" * 100_000
LONG_NUMBER = b'{"total": ' + b"9" * 5_000 + b"}"
NUL_TEXT = b'{"id": "evt_1", "description": "tracker.updated\\u0000"}'

BAD_BODIES = {
    "deep": (DEEP, "nested more than"),
    "long number": (LONG_NUMBER, "longer than 4,300 digits"),
    "NUL": (NUL_TEXT, "NUL character"),
}


@pytest.mark.parametrize("name", BAD_BODIES)
def test_the_loader_refuses_each_with_a_readable_message(name):
    body, words = BAD_BODIES[name]
    with pytest.raises(JsonError) as refused:
        json_parse(body)
    assert words in refused.value.message


def test_what_is_refused_is_exactly_what_it_says():
    at_limit = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert json_parse(at_limit) is not None
    with pytest.raises(JsonError, match="nested more than"):
        json_parse(b"[" + at_limit + b"]")
    # Brackets and escapes inside strings do not nest, and an escaped backslash is no NUL.
    text = {"a": "[" * 500 + '\\"{{{', "b": "\\u0000", "c": [[[]]]}
    assert json_parse(json.dumps(text).encode()) == text
    # An unbalanced document is reported as what it is, not as too deep.
    with pytest.raises(JsonError, match="not valid JSON"):
        json_parse(b"[}" * 100)


def test_digits_are_ascii_digits():
    assert digits_int("42") == 42 and digits_int(7) == 7
    assert [digits_int(v) for v in ("²", "٣", "", " 4", "-1", None, True, "9" * 40)] == [None] * 8


@pytest.mark.django_db
@pytest.mark.parametrize("name", BAD_BODIES)
def test_the_api_answers_400_in_its_error_shape(api_client, personas, name):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    body, words = BAD_BODIES[name]
    response = api_client.generic("POST", "/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"
    assert words in response.json()["error"]["message"]


@pytest.mark.django_db
def test_a_content_length_in_other_digits_is_no_length(api_client, personas):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    response = api_client.generic("POST", "/api/v1/orders/", b"{}", content_type="application/json",
                                  CONTENT_LENGTH="²")
    assert response.status_code == 400


def _carrier_request(source: str, body: bytes) -> tuple[str, dict]:
    """URL and headers as each carrier signs a delivery to the store `alpha`."""
    if source == "easypost":
        return "/webhooks/easypost/alpha/", {"HTTP_X_HMAC_SIGNATURE": easypost_signature(body, SECRET)}
    if source == "aftership":
        return "/webhooks/aftership/alpha/", {"HTTP_AFTERSHIP_HMAC_SHA256": hmac_sha256_b64(SECRET, body)}
    return f"/webhooks/shippo/alpha/?token={SECRET}", {}


@pytest.mark.django_db
@pytest.mark.parametrize("source", ["easypost", "aftership", "shippo"])
@pytest.mark.parametrize("name", BAD_BODIES)
def test_a_signed_carrier_body_is_refused_400_and_kept_as_invalid(client, personas, source, name):
    fields = {"webhook_token": SECRET} if source == "shippo" else {"webhook_secret": SECRET}
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, source, fields)
    body, words = BAD_BODIES[name]
    url, headers = _carrier_request(source, body)

    response = client.generic("POST", url, body, content_type="application/json", **headers)

    assert response.status_code == 400, response.content
    assert words in response.json()["error"]["message"]
    with tenant_scope(personas.tenant_a):
        stored = InboundWebhook.objects.get(source=source)
    assert stored.status == InboundWebhook.Status.INVALID and words in stored.error
    assert bytes(stored.body) == body


@pytest.mark.django_db
def test_the_event_api_refuses_a_nul_before_accepting(api_client, personas):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    body = json.dumps({"tracking_number": "1Z\u0000", "carrier": "UPS", "status": "in_transit",
                       "occurred_at": "2026-11-02T10:00:00Z"}).encode()
    response = api_client.generic("POST", "/api/v1/tracking-events/", body,
                                  content_type="application/json")
    assert response.status_code == 400
    with tenant_scope(personas.tenant_a):
        stored = InboundWebhook.objects.get(source="generic")
    assert stored.status == InboundWebhook.Status.INVALID


def test_a_shippo_signature_timestamp_in_other_digits_is_a_wrong_signature():
    body = b'{"event": "track_updated", "data": {}}'
    assert verify_shippo_hmac(body, shippo_signature(body, "s", 1714636800), "s")
    assert not verify_shippo_hmac(body, "t=²,v1=00", "s")


@pytest.mark.django_db
def test_sendgrid_event_with_our_id_in_other_digits_is_an_unknown_message(client, personas):
    signer = Signer()
    use_key(personas.tenant_a, signer.public_b64)
    message = make_message(personas.tenant_a, "email")
    events = [event(message, "delivered", "sg-1") | {"doorstep_message_id": "²"},
              event(message, "open", "sg-2") | {"doorstep_message_id": "٣"}]
    body = json.dumps(events).encode()

    response = client.generic("POST", "/webhooks/sendgrid/alpha/", body,
                              content_type="application/json", **signer.headers(body))

    assert response.status_code == 200
    assert response.json()["unmatched"] == 2
    assert {e.provider_event_id for e in rows(MessageEvent, personas.tenant_a)} == {"sg-1", "sg-2"}


def _twilio_post(client, params: dict, query: str = ""):
    path = "/webhooks/twilio/alpha/status/"
    signature = RequestValidator(ALPHA_TOKEN).compute_signature(f"{BASE}{path}{query}", params)
    return client.post(path + query, urlencode(params), HTTP_X_TWILIO_SIGNATURE=signature,
                       content_type=FORM)


@pytest.mark.django_db
def test_twilio_callback_with_our_id_in_other_digits_is_found_by_its_sid(client, personas,
                                                                         settings):
    settings.PUBLIC_BASE_URL, settings.TWILIO_AUTH_TOKEN = BASE, ""
    use_token(personas.tenant_a, ALPHA_TOKEN)
    message = make_message(personas.tenant_a, "sms")
    params = {"MessageSid": message.provider_message_id, "MessageStatus": "delivered",
              "To": message.recipient}

    response = _twilio_post(client, params, "?m=%C2%B2")  # ?m=² as it arrives

    assert response.status_code == 200
    with tenant_scope(personas.tenant_a):
        assert InboundWebhook.objects.get().status == InboundWebhook.Status.PROCESSED


@pytest.mark.django_db
def test_twilio_parameter_with_a_nul_is_refused_400(client, personas, settings):
    settings.PUBLIC_BASE_URL, settings.TWILIO_AUTH_TOKEN = BASE, ""
    use_token(personas.tenant_a, ALPHA_TOKEN)
    params = {"MessageSid": "SM1", "MessageStatus": "delivered", "ErrorMessage": "x\x00y"}

    response = _twilio_post(client, params)

    assert response.status_code == 400
    with tenant_scope(personas.tenant_a):
        stored = InboundWebhook.objects.get()
    assert stored.status == InboundWebhook.Status.INVALID and "NUL" in stored.error


@pytest.mark.django_db
def test_a_body_whose_checks_fail_unexpectedly_is_kept_as_failed_never_received(
        client, personas, monkeypatch):
    """A bug in a source's checks (not a bad body): answered 500 so the carrier retries, and
    the body is kept in a final state, visible and replayable."""
    from tracking.services import inbound as tracking_inbound

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the checks")

    monkeypatch.setattr(tracking_inbound, "_decide", broken)
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": SECRET})
    body = b'{"id": "evt_1"}'

    response = client.generic("POST", "/webhooks/easypost/alpha/", body,
                              content_type="application/json",
                              HTTP_X_HMAC_SIGNATURE=easypost_signature(body, SECRET))

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "processing_failed"
    with tenant_scope(personas.tenant_a):
        stored = InboundWebhook.objects.get()
    assert stored.status == InboundWebhook.Status.FAILED
    assert stored.error == "RuntimeError: a bug in the checks" and bytes(stored.body) == body
