"""The shopper tracking page /t/<token>/: what it shows for every status, what it never shows,
its query budget and cache, and how it answers bad input."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest

from tenants.context import tenant_scope
from tenants.services import brand_update
from tracking.models import TrackingPageSettings
from tracking.statuses import ExceptionCause, TrackingStatus

from .page_support import make_order, make_parcel, put_items, scan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()


def page(client, url: str, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def text(html: str) -> str:
    """The page's words, tags removed, whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --- what it shows ------------------------------------------------------------------------

def test_an_in_transit_parcel_shows_where_it_is_in_plain_words(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("pending", "in_transit"),
                         estimated=date(2026, 12, 10))
    words = text(page(client, parcel.url))
    assert "Your parcel is on its way" in words
    assert "Hi Sam, here is your order" in words and "to Berlin" in words
    assert "Estimated delivery" in words and "Thursday, 10 December" in words
    assert "The carrier's estimate" in words
    assert "Carrier scan: In transit" in words  # the carrier's own words beside ours
    assert "Leipzig, DE" in words
    assert parcel.shipment.tracking_number in words


@pytest.mark.parametrize("status", [s.value for s in TrackingStatus])
def test_every_status_gets_a_page(client, personas, status):
    parcel = make_parcel(personas.tenant_a, statuses=(status,))
    html = page(client, parcel.url)
    assert 'aria-label="Progress"' in html
    assert "<h1" in html


@pytest.mark.parametrize(("cause", "words"), [
    (ExceptionCause.CARRIER, "Caused by: the carrier"),
    (ExceptionCause.RETAILER, "Caused by: the shop"),
    (ExceptionCause.RECIPIENT, "The carrier needs you"),
    (ExceptionCause.CUSTOMS, "checked by customs"),
    (ExceptionCause.WEATHER, "Bad weather"),
    (ExceptionCause.OTHER, "Something unexpected happened"),
])
def test_an_exception_is_explained_per_cause_with_the_carriers_note(client, personas, cause,
                                                                     words):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "exception"), cause=cause,
                         message="Address incomplete")
    shown = text(page(client, parcel.url))
    assert "There is a problem with your parcel" in shown
    assert words in shown
    assert "What happens next" in shown
    assert "Address incomplete" in shown


def test_a_late_parcel_says_so_and_does_not_show_the_passed_date_as_a_promise(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",),
                         estimated=date(2026, 12, 3))
    with tenant_scope(personas.tenant_a):
        type(parcel.shipment).objects.filter(pk=parcel.shipment.pk).update(delayed=True)
    shown = text(page(client, parcel.url))
    assert "Your parcel is running late" in shown
    assert "It was due on Thursday, 3 December." in shown
    assert "We will show a delivery date as soon as the carrier gives one." in shown


def test_the_apology_offer_shows_on_problems_only(client, personas):
    with tenant_scope(personas.tenant_a):
        TrackingPageSettings.objects.create(apology_text="Sorry! 10% off your next order.",
                                            apology_code="SORRY10")
    late = make_parcel(personas.tenant_a, statuses=("in_transit", "exception"), cause="carrier")
    fine = make_parcel(personas.tenant_a, statuses=("in_transit",))
    assert "SORRY10" in page(client, late.url)
    assert "SORRY10" not in page(client, fine.url)


def test_without_a_date_it_says_it_will_tell_when_the_carrier_does(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("pending",))
    assert "We will show a delivery date as soon as the carrier gives one." in text(
        page(client, parcel.url))


def test_the_promised_date_is_used_when_the_carrier_gives_none(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",), promised=date(2026, 12, 12))
    shown = text(page(client, parcel.url))
    assert "Expected delivery" in shown and "Saturday, 12 December" in shown
    assert "The date the shop gave when you ordered" in shown


def test_a_late_scan_sits_in_the_timeline_and_never_moves_the_status_back(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"))
    scan(personas.tenant_a, parcel.shipment, ("in_transit",), message="Late sorting scan",
         start=parcel.shipment.delivered_at.replace(hour=3))
    shown = text(page(client, parcel.url))
    assert "Your parcel was delivered" in shown
    assert "Late sorting scan" in shown


def test_items_show_with_their_how_to_links_and_only_pictures_from_this_site(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    html = page(client, parcel.url)
    assert "Trail 2 Tent" in html and "Cloud Sleeping Mat" in html
    assert 'src="/static/demo/products/tents.png"' in html
    assert "cdn.example.net" not in html  # a picture on another host is not loaded
    assert "Video: Pitch it in five minutes" in html
    assert "In your order" in html  # no parcel items recorded: the order's lines, said so


def test_a_parcel_with_recorded_items_lists_only_them(client, personas):
    order, customer, products = make_order(personas.tenant_a)
    parcel = make_parcel(personas.tenant_a, order=order, customer=customer, products=products)
    from orders.models import LineItem

    with tenant_scope(personas.tenant_a):
        first = LineItem.objects.filter(order=order).order_by("position").first()
    put_items(personas.tenant_a, parcel.shipment, [(first.pk, 1)])
    html = page(client, parcel.url)
    assert "In this parcel" in html
    assert "Trail 2 Tent" in html and "Cloud Sleeping Mat" not in html


def test_a_two_parcel_order_lists_both_each_with_its_status(client, personas):
    order, customer, products = make_order(personas.tenant_a)
    first = make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"), order=order,
                        customer=customer, products=products)
    second = make_parcel(personas.tenant_a, statuses=("in_transit",), order=order,
                         customer=customer, products=products)
    html = page(client, first.url)
    shown = text(html)
    assert f"Order {order.number} comes in 2 parcels" in shown
    assert f'href="/t/{second.shipment.public_token}/?lang=en"' in html
    assert "On its way" in shown and "Delivered" in shown



def test_a_parcel_at_a_pickup_point_is_shown_as_what_it_is(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "available_for_pickup"))
    shown = text(page(client, parcel.url))
    assert "Your parcel is ready to collect" in shown
    assert "Ready to collect (current step)" in shown and "Collected (not yet)" in shown
    assert "Out for delivery" not in shown


def test_a_stuck_parcel_says_so_honestly(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    with tenant_scope(personas.tenant_a):
        type(parcel.shipment).objects.filter(pk=parcel.shipment.pk).update(stalled=True)
    shown = text(page(client, parcel.url))
    assert "No news from the carrier for a while" in shown
    assert "often go a day or two without a scan" in shown


def test_times_are_in_the_shoppers_time_zone_else_the_shops(client, personas):
    personas.tenant_a.timezone = "America/New_York"
    personas.tenant_a.save()
    shop = make_parcel(personas.tenant_a, statuses=("in_transit",))  # scanned 09:00 UTC
    shown = text(page(client, f"{shop.url}?lang=de"))
    assert "4:00 Uhr" in shown or "04:00 Uhr" in shown
    assert "Zeitzone America/New_York" in shown
    shopper = make_parcel(personas.tenant_a, statuses=("in_transit",))
    with tenant_scope(personas.tenant_a):
        shopper.customer.timezone = "Asia/Tokyo"
        shopper.customer.save()
    shown = text(page(client, f"{shopper.url}?lang=de"))
    assert "18:00 Uhr" in shown and "Zeitzone Asia/Tokyo" in shown

# --- what it never shows, and never loads ---------------------------------------------------

def test_it_never_shows_the_email_phone_street_or_last_name(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    html = page(client, parcel.url)
    for secret in ("sam.rivera@example.test", "+4915112345678", "15112345678", "Hauptstraße",
                   "10115", "Rivera"):
        assert secret not in html


def test_no_url_on_the_page_loads_from_another_host(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    with tenant_scope(personas.tenant_a):
        brand_update(personas.tenant_a, social_links={"instagram": "https://instagram.com/alpha"},
                     help_url="https://help.alpha.example/")
    html = page(client, parcel.url)
    loaded = re.findall(r'(?:src|srcset|poster|data)\s*=\s*"([^"]*)"', html)
    loaded += re.findall(r'<link[^>]+href="([^"]*)"', html)
    loaded += re.findall(r"url\(([^)]*)\)", html)
    assert loaded and all(u.startswith("/") and not u.startswith("//") for u in loaded), loaded
    assert "<script" not in html
    assert "@import" not in html


def test_the_page_sends_privacy_headers(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    response = client.get(parcel.url)
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "private" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert not response.cookies  # no session, no CSRF cookie, nothing


def test_script_in_brand_fields_and_product_titles_is_escaped(client, personas):
    with tenant_scope(personas.tenant_a):
        brand_update(personas.tenant_a, sender_name="<script>alert(1)</script>Alpha",
                     footer_text='"><img src=x onerror=alert(2)>')
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",), products=[
        {"title": "<script>alert(3)</script>Tent", "category": "Tents"}])
    html = page(client, parcel.url)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Alpha" in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;Tent" in html


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [
    "no-such-parcel-token-0000000000", "x", "a" * 41, "with space in it 000000000",
    "%3Cscript%3E000000000000000000", "../../etc/passwd000000000000",
])
def test_a_malformed_or_unknown_token_is_the_shopper_404(client, personas, token):
    response = client.get(f"/t/{token}/")
    assert response.status_code == 404
    assert 'id="shopper-not-found"' in response.content.decode()


def test_a_suspended_shops_parcel_is_the_same_404(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    personas.tenant_a.status = personas.tenant_a.Status.SUSPENDED
    personas.tenant_a.save()
    assert client.get(parcel.url).status_code == 404


def test_a_huge_query_string_and_an_unknown_language_still_get_the_page(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    html = page(client, f"{parcel.url}?lang=xx-{'y' * 5000}&junk={'z' * 20000}")
    assert '<html lang="en">' in html


def test_a_post_is_refused(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    assert client.post(parcel.url).status_code == 405


# --- tenancy --------------------------------------------------------------------------------

def test_a_token_shows_its_own_shops_parcel_and_nothing_of_another(client, personas):
    with tenant_scope(personas.tenant_b):
        brand_update(personas.tenant_b, sender_name="Beta Bikes Shop")
    mine = make_parcel(personas.tenant_a, statuses=("in_transit",), first_name="Alicia")
    theirs = make_parcel(personas.tenant_b, statuses=("delivered",), first_name="Bertram",
                         city="Hamburg")
    html = page(client, mine.url)
    assert "Alicia" in html and "Alpha Outfitters" in html
    assert "Bertram" not in html and "Beta Bikes" not in html and "Hamburg" not in html
    assert theirs.shipment.tracking_number not in html


def test_another_shops_product_through_a_token_is_404(client, personas):
    mine = make_parcel(personas.tenant_a, statuses=("in_transit",))
    theirs = make_parcel(personas.tenant_b, statuses=("in_transit",))
    response = client.get(f"{mine.url}go/{theirs.products[0].pk}/")
    assert response.status_code == 404



# --- languages ------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "headline", "day"), [
    ("de", "Dein Paket ist unterwegs", "Donnerstag, 10. Dezember"),
    ("fr", "Votre colis est en route", "jeudi 10 décembre"),
    ("es", "Tu paquete está en camino", "jueves, 10 de diciembre"),
    ("nl", "Je pakket is onderweg", "donderdag 10 december"),
    ("en", "Your parcel is on its way", "Thursday, 10 December"),
])
def test_each_language_speaks_with_its_own_dates(client, personas, lang, headline, day):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",), estimated=date(2026, 12, 10))
    response = client.get(f"{parcel.url}?lang={lang}")
    shown = text(response.content.decode())
    assert response["Content-Language"] == lang
    assert headline in shown and day in shown


def test_the_language_comes_from_lang_then_the_shopper_then_the_browser_then_the_shop(
        client, personas):
    dutch = make_parcel(personas.tenant_a, statuses=("in_transit",), locale="nl-NL")
    anyone = make_parcel(personas.tenant_a, statuses=("in_transit",), locale="")
    assert '<html lang="nl">' in page(client, dutch.url, HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="de">' in page(client, f"{dutch.url}?lang=de")
    assert '<html lang="fr">' in page(client, anyone.url,
                                      HTTP_ACCEPT_LANGUAGE="pt-BR, fr;q=0.8, de;q=0.5")
    personas.tenant_a.default_locale = "es"
    personas.tenant_a.save()
    assert '<html lang="es">' in page(client, anyone.url, HTTP_ACCEPT_LANGUAGE="ja, pt")


def test_the_switcher_offers_the_shops_languages(client, personas,
                                                django_capture_on_commit_callbacks):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    html = page(client, f"{parcel.url}?lang=fr")
    for code, name in (("en", "English"), ("de", "Deutsch"), ("es", "Español"),
                       ("nl", "Nederlands")):
        assert f'href="?lang={code}" lang="{code}" hreflang="{code}">{name}</a>' in html
    assert 'hreflang="fr" aria-current="true">Français' in html
    with tenant_scope(personas.tenant_a), django_capture_on_commit_callbacks(execute=True):
        TrackingPageSettings.objects.create(languages=["de", "en"])
    html = page(client, f"{parcel.url}?lang=fr")  # not offered: the shopper's, else the shop's
    assert '<html lang="en">' in html and "Français" not in html


def test_a_head_request_gets_the_headers_without_the_page(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    response = client.head(parcel.url)
    assert response.status_code == 200 and response.content == b""
    assert response["Referrer-Policy"] == "no-referrer"
