"""A return's messages: every step the shopper should hear of is planned once per return by the
default journey (return_requested … refund_delayed), leads to the return's status page, and a
late refund is told once, however often the check runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Message, Template
from messaging.rendering import contexts_for_many, render_message, template_version_current
from messaging.tests.factories import make_customer
from returns import services
from returns.tests.factories import make_order, make_policy, make_request
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db


def planned(tenant) -> list[tuple[str, int | None]]:
    with tenant_scope(tenant):
        return list(Message.objects.filter(channel="email").order_by("pk")
                    .values_list("milestone", "return_request_id"))


def test_each_step_of_a_return_is_one_email_about_that_return(personas,
                                                              django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    make_policy(tenant, refund_due_business_days=1)
    # Now-ish: a milestone heard of long after it happened is no news (messaging's stale_after).
    now = timezone.now()
    order = make_order(tenant, quantities=(2, 2), delivered_at=now - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        first = make_request(tenant, order, now=now - timedelta(hours=2))
        # the other jacket: its own messages
        second = make_request(tenant, order, now=now - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        services.return_receive(tenant, first.pk, now=now - timedelta(hours=1))
        for _ in range(2):  # the periodic check runs again: told once
            services.returns_refund_delayed_check(tenant, now=now + timedelta(days=4))
        services.return_reject(tenant, second.pk, reason="Worn outdoors")
    assert planned(tenant) == [
        ("return_requested", first.pk), ("return_approved", first.pk),
        ("return_requested", second.pk), ("return_approved", second.pk),
        ("return_received", first.pk), ("refund_delayed", first.pk),
        ("return_rejected", second.pk),
    ]


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_a_return_email_names_the_return_and_leads_to_its_status_page(
        personas, locale, django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    make_policy(tenant)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(tenant, make_order(tenant, delivered_at=now - timedelta(days=1)),
                               now=now)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        services.return_reject(tenant, request.pk, reason="Worn outdoors")
    with tenant_scope(tenant):
        message = Message.objects.get(milestone="return_rejected", channel="email")
        template = Template.objects.get(key="return_rejected-email")
        context = contexts_for_many(tenant, [message])[message.pk]
        rendered = render_message(template_version_current(template, locale), context,
                                  message=message)
    assert request.number in rendered.subject
    assert "Worn outdoors" in rendered.html
    assert f"/s/alpha/returns/{request.public_token}/" in " ".join(rendered.links)


def test_a_shopper_who_consented_to_sms_gets_each_step_by_sms_too(
        personas, django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    make_policy(tenant)
    now = timezone.now()
    texting, silent = (make_customer(tenant, phone="+4915112345678",
                                     transactional_sms_consent=consent) for consent in (True, False))
    with django_capture_on_commit_callbacks(execute=True):
        told = make_request(tenant, make_order(tenant, customer=texting,
                                               delivered_at=now - timedelta(days=1)), now=now)
        quiet = make_request(tenant, make_order(tenant, customer=silent,
                                                delivered_at=now - timedelta(days=1)), now=now)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        services.return_reject(tenant, told.pk, reason="Worn outdoors")
    with tenant_scope(tenant):
        sms = {(m.return_request_id, m.milestone): m for m in Message.objects.filter(channel="sms")}
        template = Template.objects.get(key="return_rejected-sms")
        message = sms[told.pk, "return_rejected"]
        context = contexts_for_many(tenant, [message])[message.pk]
        text = render_message(template_version_current(template, "de"), context,
                              message=message).text
    assert {milestone for (pk, milestone), m in sms.items()
            if pk == told.pk and m.status != "suppressed"} == {
        "return_requested", "return_approved", "return_rejected"}
    assert message.recipient == "+4915112345678"
    # Without consent nothing goes out; the row says why (the retailer sees it).
    assert all(m.status == "suppressed" for (pk, _), m in sms.items() if pk == quiet.pk)
    assert f"Leider können wir die Retoure {told.number} nicht annehmen" in text
    assert "/m/c/" in text  # the status page's link, through a click URL
