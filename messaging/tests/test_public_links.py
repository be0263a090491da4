"""The shopper's links: open pixel, click redirect (no open redirect, UTM added), the branded
preferences page (GET changes nothing) and RFC 8058 one-click unsubscribe. A token is the only
authority, and a token of tenant A never opens tenant B's data."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from messaging.links import (
    click_url_for_index,
    one_click_unsubscribe_url,
    open_pixel_url,
    preferences_url,
    token_make,
)
from messaging.models import Message, MessageEvent, MessagePreference, Suppression
from messaging.views import PIXEL
from orders.models import ConsentSource
from tenants import services as tenant_services
from tenants.context import tenant_scope

from .callbacks_support import make_customer, make_message, reload, rows

S = Message.Status
LINKS = ["https://alpha.test/orders/1042?ref=mail&x=a%20b#top", "https://alpha.test/help",
         "javascript:alert(1)"]


def path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def message(personas):
    with tenant_scope(personas.tenant_a):
        tenant_services.brand_update(personas.tenant_a, primary_color="#123ABC",
                                     sender_name="Alpha Outfitters")
    return make_message(personas.tenant_a, links=LINKS, milestone="out_for_delivery")


# --- open pixel ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_pixel_is_an_uncached_gif_that_records_one_open_per_hour(client, message, personas):
    first = client.get(path(open_pixel_url(message)))
    client.get(path(open_pixel_url(message)))
    assert first.status_code == 200 and first["Content-Type"] == "image/gif"
    assert first.content == PIXEL and PIXEL.startswith(b"GIF89a")
    assert "no-store" in first["Cache-Control"]
    [opened] = rows(MessageEvent, personas.tenant_a)
    assert (opened.kind, opened.source) == ("open", "pixel")
    message = reload(message)
    assert message.status == S.OPENED and message.opened_at is not None


@pytest.mark.django_db
def test_an_open_does_not_move_a_clicked_message_back(client, personas):
    message = make_message(personas.tenant_a, status=S.CLICKED)
    client.get(path(open_pixel_url(message)))
    message = reload(message)
    assert message.status == S.CLICKED and message.opened_at is not None


@pytest.mark.django_db
def test_a_forged_pixel_token_gets_the_image_and_records_nothing(client, message, personas):
    response = client.get(path(open_pixel_url(message)).replace(".gif", "x.gif"))
    assert response.status_code == 200 and response.content == PIXEL
    assert rows(MessageEvent, personas.tenant_a) == []


# --- click redirect -----------------------------------------------------------------------

@pytest.mark.django_db
def test_a_click_redirects_to_the_messages_link_with_utm_and_records_it(client, message,
                                                                        personas):
    response = client.get(path(click_url_for_index(message, 0)))
    assert response.status_code == 302
    assert response["Location"] == (
        "https://alpha.test/orders/1042?ref=mail&x=a%20b&utm_source=doorstep&utm_medium=email"
        "&utm_campaign=out_for_delivery#top")
    [clicked] = rows(MessageEvent, personas.tenant_a)
    assert (clicked.kind, clicked.source, clicked.data["index"]) == ("click", "redirect", 0)
    assert reload(message).status == S.CLICKED


@pytest.mark.django_db
def test_utm_parameters_the_retailer_set_are_kept(client, personas):
    message = make_message(personas.tenant_a, "sms", links=["https://alpha.test/?utm_source=x"])
    response = client.get(path(click_url_for_index(message, 0)))
    assert response["Location"] == ("https://alpha.test/?utm_source=x&utm_medium=sms"
                                    "&utm_campaign=shipped")


@pytest.mark.django_db
@pytest.mark.parametrize("index", [2, 3, 99])
def test_only_http_links_that_were_in_the_message_redirect(client, message, index):
    assert client.get(path(click_url_for_index(message, index))).status_code == 404


@pytest.mark.django_db
def test_a_forged_or_foreign_kind_token_is_404_never_a_redirect(client, message):
    tampered = path(click_url_for_index(message, 0)).replace("/m/c/", "/m/c/x")
    assert client.get(tampered).status_code == 404
    pixel_token = path(open_pixel_url(message))[len("/m/o/"):-len(".gif")]
    assert client.get(f"/m/c/{pixel_token}/").status_code == 404
    assert client.get("/m/c/https:%2F%2Fevil.test/").status_code == 404


# --- preferences --------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_preferences_page_is_branded_and_a_get_changes_nothing(client, message):
    customer = reload(message.customer)
    response = client.get(path(preferences_url(message)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Alpha Outfitters" in page and "#123ABC" in page
    assert 'name="viewport"' in page
    assert "Out for delivery" in page and 'name="marketing_email"' in page
    assert reload(customer).marketing_email_consent is True
    assert client.get(path(one_click_unsubscribe_url(message))).status_code == 200
    assert reload(customer).marketing_email_consent is True


@pytest.mark.django_db
def test_choices_are_saved_per_milestone_and_channel_with_consent_source(message, personas):
    browser = Client(enforce_csrf_checks=True)
    url = path(preferences_url(message))
    browser.get(url)
    response = browser.post(url, {
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        "pref:delivered:email": "on", "pref:out_for_delivery:sms": "on"})
    assert response.status_code == 302 and response["Location"] == f"{url}?saved=1"
    off = {(p.milestone, p.channel) for p in rows(MessagePreference, personas.tenant_a,
                                                  enabled=False)}
    assert ("out_for_delivery", "email") in off and ("delivered", "sms") in off
    assert ("delivered", "email") not in off and ("out_for_delivery", "sms") not in off
    customer = reload(message.customer)
    assert customer.marketing_email_consent is False
    assert customer.marketing_email_consent_source == ConsentSource.PREFERENCE_PAGE
    assert "Saved" in browser.get(f"{url}?saved=1").content.decode()


@pytest.mark.django_db
def test_the_page_can_unsubscribe_from_all_marketing(client, message):
    client.post(path(preferences_url(message)), {"unsubscribe_marketing": "1"})
    customer = reload(message.customer)
    assert customer.marketing_email_consent is False and customer.marketing_sms_consent is False
    assert customer.transactional_email_consent is True


@pytest.mark.django_db
def test_a_message_without_a_shopper_can_only_stop_everything(client, personas):
    message = make_message(personas.tenant_a, recipient="nobody@shopper.test")
    url = path(preferences_url(message))
    assert "Stop all messages" in client.get(url).content.decode()
    client.post(url, {"stop_all": "1"})
    [suppressed] = rows(Suppression, personas.tenant_a)
    assert (suppressed.address, suppressed.reason) == ("nobody@shopper.test", "unsubscribed")


# --- RFC 8058 one-click -------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("multipart", [False, True])
def test_one_click_post_unsubscribes_from_marketing_email_with_200(message, multipart):
    mailbox_provider = Client(enforce_csrf_checks=True)  # no cookies, no CSRF token
    url = path(one_click_unsubscribe_url(message))
    if multipart:
        response = mailbox_provider.post(url, {"List-Unsubscribe": "One-Click"})
    else:
        response = mailbox_provider.post(url, "List-Unsubscribe=One-Click",
                                         content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "Location" not in response
    customer = reload(message.customer)
    assert customer.marketing_email_consent is False
    assert customer.marketing_email_consent_source == ConsentSource.PREFERENCE_PAGE
    assert customer.transactional_email_consent is True


@pytest.mark.django_db
def test_one_click_without_the_rfc_body_is_400(client, message):
    response = client.post(path(one_click_unsubscribe_url(message)), "",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert reload(message.customer).marketing_email_consent is True


@pytest.mark.django_db
def test_a_preferences_token_cannot_unsubscribe_one_click(client, message):
    prefs_token = path(preferences_url(message)).split("/")[2]
    response = client.post(f"/u/{prefs_token}/one-click/", "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404


# --- cross-tenant -------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "url"), [
    ("click", "/m/c/{}/"), ("prefs", "/u/{}/"), ("unsub", "/u/{}/one-click/")])
def test_a_token_of_tenant_a_never_opens_tenant_bs_message(client, personas, kind, url):
    bs_message = make_message(personas.tenant_b, links=["https://beta.test/"])
    # Signed by us, naming tenant A with B's message id: looked up in A only, so not found.
    token = token_make(kind, personas.tenant_a.pk, bs_message.pk,
                       0 if kind == "click" else None)
    for method in ("get", "post"):
        response = getattr(client, method)(url.format(token))
        assert response.status_code in (404, 405)
        assert b"beta.test" not in response.content
    assert reload(bs_message.customer).marketing_email_consent is True
    assert rows(MessageEvent, personas.tenant_b) == []


@pytest.mark.django_db
def test_a_pixel_token_of_tenant_a_records_nothing_on_tenant_bs_message(client, personas):
    bs_message = make_message(personas.tenant_b)
    client.get(f"/m/o/{token_make('open', personas.tenant_a.pk, bs_message.pk)}.gif")
    assert reload(bs_message).status == S.SENT
    assert rows(MessageEvent, personas.tenant_b) == rows(MessageEvent, personas.tenant_a) == []


@pytest.mark.django_db
def test_a_signed_in_member_of_tenant_b_sees_only_what_the_token_names(client, personas):
    alices = make_message(personas.tenant_a, customer=make_customer(
        personas.tenant_a, email="alpha.shopper@example.test"))
    with tenant_scope(personas.tenant_b):
        tenant_services.brand_update(personas.tenant_b, sender_name="Beta Bikes Crew")
    client.force_login(personas.carol)
    page = client.get(path(preferences_url(alices))).content.decode()
    assert "Beta Bikes" not in page
    assert "Alpha Outfitters" in page


@pytest.mark.django_db
def test_a_bad_link_opened_by_a_signed_in_member_of_b_is_her_own_404(client, message, personas):
    client.force_login(personas.carol)
    response = client.get(path(click_url_for_index(message, 99)))
    assert response.status_code == 404
    assert b"Alpha Outfitters" not in response.content
