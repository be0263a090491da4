"""Links from messages to the shopper's tracking page say where the shopper came from
(`?src=email` / `?src=sms`, counted by tracking/pageviews.py), and the review request links
to the delivery rating on that page."""

from __future__ import annotations

import pytest

from messaging.rendering import context_for, contexts_for_many, render_message
from messaging.rendering.context import sample_context
from messaging.rendering.defaults import default_email_html, default_templates_install
from messaging.tests.factories import make_customer, make_message, make_order, make_shipment
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcel(personas):
    tenant = personas.tenant_a
    return make_shipment(tenant, make_order(tenant, customer=make_customer(tenant)))


def test_an_emails_links_carry_src_email_and_an_sms_src_sms(personas, parcel, settings):
    tenant = personas.tenant_a
    page = f"{settings.PUBLIC_BASE_URL}/t/{parcel.public_token}/"
    email = make_message(tenant, shipment=parcel, channel="email")
    sms = make_message(tenant, shipment=parcel, channel="sms")
    with tenant_scope(tenant):
        contexts = contexts_for_many(tenant, [email, sms])
    assert contexts[email.pk]["tracking_url"] == f"{page}?src=email"
    assert contexts[email.pk]["shipment"]["tracking_url"] == f"{page}?src=email"
    assert contexts[email.pk]["rating_url"] == f"{page}?src=email#rate"
    assert contexts[sms.pk]["tracking_url"] == f"{page}?src=sms"


def test_a_context_without_a_message_links_the_plain_page(personas, parcel, settings):
    with tenant_scope(personas.tenant_a):
        context = context_for(personas.tenant_a, milestone="shipped", shipment=parcel)
    page = f"{settings.PUBLIC_BASE_URL}/t/{parcel.public_token}/"
    assert context["tracking_url"] == page
    assert context["rating_url"] == f"{page}#rate"


def test_without_a_shipment_there_is_nothing_to_rate(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        context = context_for(tenant, milestone="order_confirmed", order=make_order(tenant))
    assert context["tracking_url"] == "" and context["rating_url"] == ""


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_the_default_review_request_button_opens_the_rating(locale):
    context = sample_context(locale=locale, milestone="review_request")
    html = default_email_html("review_request", locale, context)
    assert f'href="{context["rating_url"]}"' in html
    assert context["rating_url"].endswith("/#rate")


def test_a_sent_review_request_links_the_rating_through_the_click_redirect(personas, parcel,
                                                                          settings):
    from messaging.models import TemplateVersion

    tenant = personas.tenant_a
    message = make_message(tenant, shipment=parcel, milestone="review_request")
    with tenant_scope(tenant):
        default_templates_install(tenant)
        version = TemplateVersion.objects.select_related("template").get(
            template__key="review_request-email", locale="en")
        rendered = render_message(version, contexts_for_many(tenant, [message])[message.pk],
                                  message=message)
    rating = f"{settings.PUBLIC_BASE_URL}/t/{parcel.public_token}/?src=email#rate"
    assert rating in rendered.links
