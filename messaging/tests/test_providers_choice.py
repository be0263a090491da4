"""Which transport sends (tenant's own → platform's → dev outbox), and SMTP as the
platform's alternative to SendGrid, against a fake SMTP server."""

from __future__ import annotations

import pytest
from django.utils import timezone

from messaging.providers import (
    OutboxTransport,
    PermanentSendError,
    SendGridTransport,
    SmtpTransport,
    TemporarySendError,
    TwilioTransport,
    email_transport_for,
    sms_transport_for,
)
from tenants.context import tenant_scope
from tenants.services import brand_update, credential_set

from .dispatch_support import make_message

pytestmark = pytest.mark.django_db
OWN_KEY = "SG.beta-own-key.0123456789abcdef"


@pytest.fixture
def nothing_configured(settings):
    settings.SENDGRID_API_KEY = ""
    settings.EMAIL_HOST = ""
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""


def test_with_nothing_configured_both_channels_go_to_the_dev_outbox(personas, nothing_configured):
    with tenant_scope(personas.tenant_a):
        assert isinstance(email_transport_for(personas.tenant_a), OutboxTransport)
        assert isinstance(sms_transport_for(personas.tenant_a), OutboxTransport)


def test_a_tenants_own_credentials_are_used_even_when_the_platform_has_none(
        personas, nothing_configured):
    with tenant_scope(personas.tenant_b):
        credential_set(personas.tenant_b, "sendgrid", {"api_key": OWN_KEY})
        credential_set(personas.tenant_b, "twilio", {
            "account_sid": "AC" + "c" * 32, "auth_token": "d" * 32,
            "messaging_service_sid": "MG" + "e" * 32})

    with tenant_scope(personas.tenant_b):
        email, sms = email_transport_for(personas.tenant_b), sms_transport_for(personas.tenant_b)

    assert isinstance(email, SendGridTransport) and email.api_key == OWN_KEY
    assert isinstance(sms, TwilioTransport) and sms.account_sid == "AC" + "c" * 32
    assert sms.messaging_service_sid == "MG" + "e" * 32
    # …and only for that tenant.
    with tenant_scope(personas.tenant_a):
        assert isinstance(email_transport_for(personas.tenant_a), OutboxTransport)


def test_the_platforms_providers_serve_tenants_without_their_own(personas, settings):
    settings.SENDGRID_API_KEY = "SG.platform.0123456789"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "1" * 32, "2" * 32
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    with tenant_scope(personas.tenant_a):
        brand_update(personas.tenant_a, sms_sender="AlphaOut")

    with tenant_scope(personas.tenant_a):
        email, sms = email_transport_for(personas.tenant_a), sms_transport_for(personas.tenant_a)

    assert isinstance(email, SendGridTransport) and email.api_key == "SG.platform.0123456789"
    assert isinstance(sms, TwilioTransport) and sms.from_number == "AlphaOut"


def test_smtp_is_the_platforms_alternative_when_there_is_no_sendgrid_key(personas, fake_smtp):
    with tenant_scope(personas.tenant_a):
        assert isinstance(email_transport_for(personas.tenant_a), SmtpTransport)


def test_smtp_carries_the_same_sender_ids_and_unsubscribe_headers(personas, fake_smtp):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        brand_update(tenant, sender_email="hello@alpha.test", sender_name="Alpha Outfitters",
                     reply_to="care@alpha.test")
    message = make_message(tenant, due_at=timezone.now(), includes_marketing=True)

    with tenant_scope(tenant):
        provider_id = email_transport_for(tenant).send(message)

    received = fake_smtp.received[0]
    mail = received.message
    assert received.rcpt_to == [message.recipient]
    assert mail["From"] == "Alpha Outfitters <hello@alpha.test>"
    assert mail["Reply-To"] == "care@alpha.test"
    assert mail["X-Doorstep-Message-Id"] == str(message.pk)
    assert mail["X-Doorstep-Tenant"] == "alpha"
    assert mail["Message-ID"] == f"<{provider_id}>"
    unsubscribe = str(mail["List-Unsubscribe"]).strip()  # a long header is folded
    assert unsubscribe.startswith("<http") and unsubscribe.endswith(
        "/one-click/>, <mailto:care@alpha.test?subject=unsubscribe>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [part.get_content_type() for part in mail.walk()][1:] == ["text/plain", "text/html"]


def test_smtp_refusing_the_recipient_is_permanent_with_the_servers_words(personas, fake_smtp):
    fake_smtp.refuse_next_recipient("550 5.1.1 No such user here")
    message = make_message(personas.tenant_a, due_at=timezone.now())

    with tenant_scope(personas.tenant_a), pytest.raises(PermanentSendError) as raised:
        email_transport_for(personas.tenant_a).send(message)

    assert raised.value.reason == "smtp 550: 5.1.1 No such user here"


def test_smtp_asking_to_try_later_is_temporary(personas, fake_smtp):
    fake_smtp.refuse_next_recipient("451 4.3.0 Mailbox busy, try later")
    message = make_message(personas.tenant_a, due_at=timezone.now())

    with tenant_scope(personas.tenant_a), pytest.raises(TemporarySendError):
        email_transport_for(personas.tenant_a).send(message)


def test_an_unreachable_smtp_server_is_temporary(personas, settings):
    settings.MESSAGING_PROVIDER_TIMEOUT = 1.0
    transport = SmtpTransport(host="127.0.0.1", port=9, use_tls=False, username="", password="")

    with tenant_scope(personas.tenant_a), pytest.raises(TemporarySendError):
        transport.send(make_message(personas.tenant_a, due_at=timezone.now()))


def test_the_outbox_keeps_the_message_on_its_row(personas, nothing_configured):
    message = make_message(personas.tenant_a, "sms", due_at=timezone.now())

    with tenant_scope(personas.tenant_a):
        assert sms_transport_for(personas.tenant_a).send(message) == f"outbox-{message.pk}"
