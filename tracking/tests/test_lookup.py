"""The tracking lookup /s/<slug>/track/: order number + e-mail or postcode → the order's
parcels; a tracking number alone → status and timeline only; one answer, and the same work,
for every kind of wrong; rate limits per client address and per number."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.context import tenant_scope
from tracking.services import shipment_create
from tracking.tests.page_support import make_order, make_parcel

URL = "/s/alpha/track/"


def lookup(client, number, contact="", url=URL, **extra):
    return client.post(url, {"number": number, "contact": contact}, **extra)


def answer(response) -> str:
    """The page without what differs by request only (nothing, today: no CSRF token)."""
    return response.content.decode()


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()  # rate-limit windows (Redis) outlive a test's database


@pytest.fixture
def parcel(personas):
    return make_parcel(personas.tenant_a, statuses=("in_transit", "out_for_delivery"))


@pytest.mark.django_db
def test_the_form_is_a_shopper_page_in_the_shops_look(client, personas):
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alpha Outfitters" in page and 'name="number"' in page and 'name="contact"' in page
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # no CSRF cookie, no session: nothing at all
    assert "csrfmiddlewaretoken" not in page


@pytest.mark.django_db
def test_an_unknown_store_is_the_shoppers_404(client, personas):
    response = client.get("/s/nobody-here/track/")
    assert response.status_code == 404
    assert "Log in" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("contact", ["sam.rivera@example.test", "  SAM.Rivera@Example.TEST ",
                                     "10115", " 101 15 "])
def test_a_one_parcel_order_goes_straight_to_its_page(client, parcel, contact):
    response = lookup(client, parcel.order.number, contact)
    assert response.status_code == 303
    assert response["Location"] == f"/t/{parcel.shipment.public_token}/"


@pytest.mark.django_db
def test_the_order_number_may_be_typed_without_its_hash(client, parcel):
    response = lookup(client, parcel.order.number.lstrip("#"), "10115")
    assert response["Location"] == f"/t/{parcel.shipment.public_token}/"


@pytest.mark.django_db
def test_the_chosen_language_follows_the_shopper_to_the_page(client, parcel):
    response = lookup(client, parcel.order.number, "10115", url=f"{URL}?lang=de")
    assert response["Location"] == f"/t/{parcel.shipment.public_token}/?lang=de"


@pytest.mark.django_db
def test_a_two_parcel_order_lists_both_parcels_with_their_status(client, personas, parcel):
    second = make_parcel(personas.tenant_a, statuses=("delivered",), order=parcel.order,
                         customer=parcel.customer)
    response = lookup(client, parcel.order.number, "sam.rivera@example.test")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/t/{parcel.shipment.public_token}/"' in page
    assert f'href="/t/{second.shipment.public_token}/"' in page
    assert "Out for delivery" in page and "Delivered" in page
    assert parcel.order.number in page


@pytest.mark.django_db
def test_an_order_not_shipped_yet_says_so(client, personas):
    order, _customer, _products = make_order(personas.tenant_a)
    response = lookup(client, order.number, "10115")
    assert response.status_code == 200
    assert "not been shipped yet" in response.content.decode()


@pytest.mark.django_db
def test_wrong_number_wrong_email_and_wrong_postcode_get_one_answer_for_the_same_work(
        client, parcel):
    answers, query_counts = [], []
    for number, contact in ((parcel.order.number, "someone.else@example.test"),
                            ("#999999", "sam.rivera@example.test"),
                            (parcel.order.number, "99999"),
                            ("#999999", "99999")):
        with CaptureQueriesContext(connection) as queries:
            response = lookup(client, number, contact)
        assert response.status_code == 200
        answers.append(answer(response).replace(number, "N").replace(contact, "C"))
        query_counts.append(len(queries))
    assert len(set(answers)) == 1
    assert len(set(query_counts)) == 1
    assert "We could not find an order" in answers[0]
    assert "sam.rivera" not in answers[0] and parcel.shipment.public_token not in answers[0]


@pytest.mark.django_db
def test_an_empty_stored_email_never_matches(client, personas):
    order, _c, _p = make_order(personas.tenant_a, email="")
    with tenant_scope(personas.tenant_a):
        shipment_create(personas.tenant_a, carrier="DHL", tracking_number="JDEMPTY1", order=order)
    assert "We could not find an order" in lookup(client, order.number, "@").content.decode()


@pytest.mark.django_db
def test_another_stores_order_is_not_found_by_this_stores_lookup(client, personas):
    theirs = make_parcel(personas.tenant_b)
    response = lookup(client, theirs.order.number, "sam.rivera@example.test")
    assert response.status_code == 200
    assert theirs.shipment.public_token not in response.content.decode()
    assert "We could not find an order" in response.content.decode()
    # …and their tracking number is not a parcel of this store either.
    response = lookup(client, theirs.shipment.tracking_number)
    assert "We could not find a parcel" in response.content.decode()


@pytest.mark.django_db
def test_a_tracking_number_alone_shows_status_and_timeline_and_nothing_personal(client,
                                                                               parcel):
    response = lookup(client, parcel.shipment.tracking_number.lower())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your parcel is out for delivery" in page
    assert "Tracking history" in page and "Leipzig" in page
    for private in ("Sam", "Rivera", "Berlin", "10115", "Hauptstraße", "sam.rivera",
                    "+4915112345678", parcel.order.number, "Trail 2 Tent",
                    parcel.shipment.public_token):
        assert private not in page, private


@pytest.mark.django_db
def test_missing_and_oversized_fields_get_a_clear_answer(client, personas):
    response = client.post(URL, {"contact": "10115"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = lookup(client, "1" * 5000, "x" * 5000)
    assert response.status_code == 400
    assert "at most 64 characters" in response.content.decode()
    assert client.put(URL).status_code == 405


@pytest.mark.django_db
def test_the_answer_is_in_the_shoppers_language(client, parcel):
    response = lookup(client, "#999999", "nobody@example.test", url=f"{URL}?lang=de")
    assert response["Content-Language"] == "de"
    page = response.content.decode()
    assert '<html lang="de">' in page
    assert "Wir haben keine Bestellung mit dieser Nummer" in page


@pytest.mark.django_db
def test_attempts_are_limited_per_order_number_with_the_wait_in_minutes(client, parcel,
                                                                       settings):
    settings.TRACKING_LOOKUP_LIMIT_PER_NUMBER = 3
    for guess in ("11111", "22222", "33333"):
        assert lookup(client, parcel.order.number, guess).status_code == 200
    # Another client address, the same order: still limited (the number's budget is spent).
    response = lookup(client, parcel.order.number, "10115", REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 429
    minutes = int(re.search(r"try again in (\d+) minute", response.content.decode()).group(1))
    assert 1 <= minutes <= settings.TRACKING_LOOKUP_WINDOW_SECONDS // 60
    # A correct guess over the limit is refused like any other: nothing is looked up.
    assert parcel.shipment.public_token not in response.content.decode()
    # Spelling the number differently is the same number.
    assert lookup(client, parcel.order.number.lstrip("#"), "10115",
                  REMOTE_ADDR="198.51.100.9").status_code == 429


@pytest.mark.django_db
def test_attempts_are_limited_per_client_address_across_numbers(client, parcel, settings):
    settings.TRACKING_LOOKUP_LIMIT_PER_ADDRESS = 2
    assert lookup(client, "#5001", "10115").status_code == 200
    assert lookup(client, "#5002", "10115").status_code == 200
    assert lookup(client, parcel.order.number, "10115").status_code == 429
    assert lookup(client, parcel.order.number, "10115",
                  REMOTE_ADDR="203.0.113.50").status_code == 303


@pytest.mark.django_db
def test_a_huge_query_string_or_an_unknown_language_is_still_the_form(client, personas):
    response = client.get(f"{URL}?lang={'x' * 5000}&junk={'y' * 50000}")
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    assert client.get(f"{URL}?lang=tlh").status_code == 200
