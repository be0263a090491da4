"""The agent console's sends reach the shopper through the one dispatcher: a message sent
again to a corrected address, and a one-off message from a template, both arrive at the fake
SendGrid server once, however often the form is posted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.models import Message, Template
from messaging.tests.factories import make_customer, make_message, make_order, make_shipment
from tenants import services as tenant_services
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def sending(personas, fake_sendgrid, dispatch_clock, no_rate_limits):
    with tenant_scope(personas.tenant_a):
        tenant_services.brand_update(personas.tenant_a, sender_name="Alpha Outfitters",
                                     sender_email="hello@alpha.test")
    return fake_sendgrid


@pytest.fixture(autouse=True)
def _due_at_once(dispatch_clock):
    """The dispatcher's frozen clock ahead of what the tests send: the fast path (the
    dispatch queued after commit) sends it, no periodic run needed."""
    dispatch_clock.now = timezone.now() + timedelta(hours=1)


def test_a_message_sent_again_to_a_corrected_address_arrives_once_even_if_no_longer_news(
        client, personas, sending, dispatch_clock, django_capture_on_commit_callbacks):
    order = make_order(personas.tenant_a, customer=make_customer(personas.tenant_a,
                                                                 email="zoe@exmaple.com"))
    # A "shipped" e-mail of a parcel since delivered: the journey would not send it now, but
    # the agent chose to.
    shipment = make_shipment(personas.tenant_a, order, status="delivered")
    first = make_message(personas.tenant_a, shipment=shipment, status="delivered",
                         subject="Your order is on its way", text_body="Hello Zoë",
                         html_body="<p>Hello Zoë</p>", sent_at=timezone.now())
    client.force_login(personas.bob)
    form = {"recipient": "zoe@example.com", "request_key": "again-0001"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("messaging:message-send-again", args=[first.pk]), form)
        client.post(reverse("messaging:message-send-again", args=[first.pk]), form)
    to = [p["to"][0]["email"] for mail in sending.mails for p in mail["personalizations"]]
    assert to == ["zoe@example.com"]
    assert sending.mails[0]["subject"] == "Your order is on its way"


def test_a_one_off_message_from_a_template_arrives_once(
        client, personas, sending, dispatch_clock, django_capture_on_commit_callbacks):
    order = make_order(personas.tenant_a, customer=make_customer(personas.tenant_a,
                                                                 email="sam@example.com"))
    with tenant_scope(personas.tenant_a):
        template = Template.objects.filter(channel="email", versions__isnull=False).first()
    client.force_login(personas.bob)
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert template.name in page
    form = {"template": template.pk, "request_key": "one-off-0001"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("messaging:order-message-send", args=[order.pk]), form)
        client.post(reverse("messaging:order-message-send", args=[order.pk]), form)
    with tenant_scope(personas.tenant_a):
        [message] = Message.objects.filter(order=order)
    assert message.status in ("sent", "delivered"), message.status_reason
    assert [p["to"][0]["email"] for p in sending.mails[0]["personalizations"]] == ["sam@example.com"]
    assert len(sending.mails) == 1
    body = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "One-off message" in body and f"Sent the E-mail “{template.name}”" in body
