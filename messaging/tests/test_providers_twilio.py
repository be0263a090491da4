"""SMS through the real Twilio SDK to the fake Twilio server."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from messaging.providers import PermanentSendError, TemporarySendError, sms_transport_for
from tenants.context import tenant_scope
from tenants.services import credential_set

from .dispatch_support import make_message

pytestmark = pytest.mark.django_db
OWN_SID = "AC" + "a" * 32


def send(tenant, message) -> str:
    with tenant_scope(tenant):
        return sms_transport_for(tenant).send(message)


def test_an_sms_goes_through_the_platforms_messaging_service_with_a_status_callback(
        personas, fake_twilio):
    tenant = personas.tenant_a
    message = make_message(tenant, "sms", due_at=timezone.now())

    sid = send(tenant, message)

    assert sid.startswith("SM") and len(sid) == 34
    request = fake_twilio.requests[0]
    assert request.path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    assert request.form() == {
        "To": message.recipient, "Body": "Alpha Outfitters: your order is confirmed.",
        "MessagingServiceSid": fake_twilio.messaging_service_sid,
        "StatusCallback": f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/alpha/status/?m={message.pk}",
    }


def test_the_tenants_own_account_and_from_number_are_used_before_the_platforms(
        personas, fake_twilio):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        credential_set(tenant, "twilio", {"account_sid": OWN_SID, "auth_token": "b" * 32,
                                          "from_number": "+14155550100"})

    send(tenant, make_message(tenant, "sms", due_at=timezone.now()))

    request = fake_twilio.requests[0]
    assert request.path == f"/2010-04-01/Accounts/{OWN_SID}/Messages.json"
    assert request.form()["From"] == "+14155550100"
    assert "MessagingServiceSid" not in request.form()


@pytest.mark.parametrize(("status", "code", "error"), [
    (400, 21610, PermanentSendError),  # the number replied STOP
    (400, 21211, PermanentSendError),  # invalid To number
    (400, 21606, PermanentSendError),  # the From number cannot send SMS
    (429, 20429, TemporarySendError),
    (500, 20500, TemporarySendError),
])
def test_twilio_errors_map_to_temporary_or_permanent_with_twilios_code(
        personas, fake_twilio, status, code, error):
    tenant = personas.tenant_a
    fake_twilio.reject_next(code, "Attempt to send to unsubscribed recipient", status=status)

    with pytest.raises(error) as raised:
        send(tenant, make_message(tenant, "sms", due_at=timezone.now()))

    assert raised.value.code == str(code)
    assert raised.value.reason == f"twilio {code}: Attempt to send to unsubscribed recipient"


def test_a_twilio_that_does_not_answer_leaves_the_outcome_uncertain(personas, fake_twilio):
    from messaging.providers import UncertainSendError

    fake_twilio.hang_next(seconds=5)

    with pytest.raises(UncertainSendError, match="no answer after sending"):
        send(personas.tenant_a, make_message(personas.tenant_a, "sms", due_at=timezone.now()))


def test_an_account_without_any_sender_fails_permanently_and_says_so(personas, fake_twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = ""

    with pytest.raises(PermanentSendError, match="No SMS sender"):
        send(personas.tenant_a, make_message(personas.tenant_a, "sms", due_at=timezone.now()))

    assert fake_twilio.requests == []
