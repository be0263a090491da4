"""E-mail through the real SendGrid SDK to the fake SendGrid server."""

from __future__ import annotations

import pytest
from django.conf import settings

from messaging.providers import PermanentSendError, SendGridTransport, TemporarySendError, email_transport_for
from tenants.context import tenant_scope
from tenants.services import brand_update, credential_set

from .dispatch_support import make_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(personas):
    with tenant_scope(personas.tenant_a):
        brand_update(personas.tenant_a, sender_email="hello@alpha.test", sender_name="Alpha Outfitters",
                     reply_to="care@alpha.test")
    return personas.tenant_a


def send(tenant, message) -> str:
    with tenant_scope(tenant):
        return email_transport_for(tenant).send(message)


def test_an_email_reaches_sendgrid_with_our_ids_category_sender_and_content(tenant, fake_sendgrid):
    from django.utils import timezone

    message = make_message(tenant, due_at=timezone.now())

    provider_id = send(tenant, message)

    assert provider_id == fake_sendgrid.message_ids[0]
    request = fake_sendgrid.requests[0]
    assert request.header("Authorization") == f"Bearer {fake_sendgrid.platform_key}"
    body = request.json()
    assert body["from"] == {"email": "hello@alpha.test", "name": "Alpha Outfitters"}
    assert body["reply_to"] == {"email": "care@alpha.test"}
    assert body["personalizations"][0]["to"] == [{"email": message.recipient}]
    assert body["subject"] == "Your order is confirmed"
    assert body["content"] == [{"type": "text/plain", "value": "Hi Sam, thanks!"},
                               {"type": "text/html", "value": "<p>Hi Sam, thanks!</p>"}]
    assert body["custom_args"] == {"doorstep_message_id": str(message.pk), "doorstep_tenant": "alpha"}
    assert body["categories"] == ["order_confirmed"]
    assert body["tracking_settings"]["click_tracking"] == {"enable": False, "enable_text": False}


def test_a_transactional_email_has_no_list_unsubscribe_headers(tenant, fake_sendgrid):
    from django.utils import timezone

    send(tenant, make_message(tenant, due_at=timezone.now(), includes_marketing=False))

    assert "headers" not in fake_sendgrid.mails[0]


def test_an_email_with_marketing_content_offers_one_click_unsubscribe(tenant, fake_sendgrid):
    from django.utils import timezone

    from messaging import links

    message = make_message(tenant, due_at=timezone.now(), includes_marketing=True)

    send(tenant, message)

    headers = fake_sendgrid.mails[0]["headers"]
    one_click = links.one_click_unsubscribe_url(message)
    assert one_click.startswith(settings.PUBLIC_BASE_URL + "/u/")
    assert headers["List-Unsubscribe"] == (
        f"<{one_click}>, <mailto:care@alpha.test?subject=unsubscribe>")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_tenants_own_key_is_used_before_the_platforms(tenant, fake_sendgrid):
    from django.utils import timezone

    with tenant_scope(tenant):
        credential_set(tenant, "sendgrid", {"api_key": "SG.alpha-own-key.0123456789abcdef"})

    send(tenant, make_message(tenant, due_at=timezone.now()))

    assert fake_sendgrid.requests[0].header("Authorization") == "Bearer SG.alpha-own-key.0123456789abcdef"


@pytest.mark.parametrize(("status", "error"), [
    (429, TemporarySendError), (500, TemporarySendError), (503, TemporarySendError),
    (400, PermanentSendError), (401, PermanentSendError), (403, PermanentSendError),
])
def test_sendgrid_answers_map_to_temporary_or_permanent_errors(tenant, fake_sendgrid, status, error):
    from django.utils import timezone

    fake_sendgrid.fail_next(status, {"errors": [{"message": "The from address does not match a "
                                                             "verified Sender Identity",
                                                  "field": "from"}]})

    with pytest.raises(error) as raised:
        send(tenant, make_message(tenant, due_at=timezone.now()))

    assert raised.value.code == str(status)
    assert "verified Sender Identity (from)" in raised.value.reason
    assert raised.value.reason.startswith(f"sendgrid {status}: ")


def test_a_sendgrid_that_does_not_answer_leaves_the_outcome_uncertain(tenant, fake_sendgrid):
    """The request went out: SendGrid may have accepted it, so it must not be retried blindly."""
    from django.utils import timezone

    from messaging.providers import UncertainSendError

    fake_sendgrid.hang_next(seconds=5)

    with pytest.raises(UncertainSendError, match="no answer after sending"):
        send(tenant, make_message(tenant, due_at=timezone.now()))


def test_an_unreachable_sendgrid_is_a_temporary_error(tenant, settings):
    from django.utils import timezone

    settings.MESSAGING_PROVIDER_TIMEOUT = 1.0
    transport = SendGridTransport("SG.key.0123456789", host="http://127.0.0.1:9")  # discard port

    with tenant_scope(tenant), pytest.raises(TemporarySendError):
        transport.send(make_message(tenant, due_at=timezone.now()))


def test_an_outage_refuses_every_send_while_it_lasts_and_a_hang_leaves_each_uncertain(
        tenant, fake_sendgrid):
    """The fake's outage (bench/faults.py uses it): 429 for every request until it ends,
    then, as a provider that stopped answering, a hold past our timeout."""
    import time

    from django.utils import timezone

    from messaging.providers import UncertainSendError

    fake_sendgrid.outage(0.5, 429, {"errors": [{"message": "too many requests"}]})
    for _ in range(2):
        with pytest.raises(TemporarySendError, match="too many requests"):
            send(tenant, make_message(tenant, due_at=timezone.now()))
    time.sleep(0.6)
    send(tenant, make_message(tenant, due_at=timezone.now()))
    fake_sendgrid.outage(5, 503, hang=3)
    with pytest.raises(UncertainSendError):
        send(tenant, make_message(tenant, due_at=timezone.now()))
    fake_sendgrid.outage_end()
    send(tenant, make_message(tenant, due_at=timezone.now()))

    assert [(r.status, r.hung) for r in fake_sendgrid.requests] == [
        (429, False), (429, False), (202, False), (503, True), (202, False)]
