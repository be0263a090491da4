"""A shipment's dashboard page shows the shopper's side of it: the public tracking page's
address, how often it was viewed and from where, and the shopper's rating (low ones flagged);
the shipments list filters by rating and marks the low ones."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from config.redis_client import redis_client
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tracking import pageviews
from tracking.services import delivery_feedback_save

from .page_support import make_parcel

pytestmark = pytest.mark.django_db
LIST = reverse("tracking:shipments")
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1"


@pytest.fixture(autouse=True)
def empty_buffer():
    keys = [pageviews._pending_key(), pageviews._flushing_key()]
    redis_client().delete(*keys)
    yield
    redis_client().delete(*keys)


def detail(client, parcel) -> str:
    return client.get(reverse("tracking:shipment", args=[parcel.shipment.pk])).content.decode()


def viewed(parcel, query: str = "") -> None:
    assert Client().get(f"{parcel.url}{query}", HTTP_USER_AGENT=BROWSER).status_code == 200


def rated(parcel, rating: int, comment: str = "") -> None:
    with tenant_scope(parcel.tenant):
        delivery_feedback_save(parcel.tenant, parcel.shipment, rating=rating, comment=comment)


def test_the_page_links_the_shoppers_page_without_counting_a_view(client, personas, settings):
    parcel = make_parcel(personas.tenant_a)
    client.force_login(personas.bob)
    body = detail(client, parcel)
    page = f"{settings.PUBLIC_BASE_URL}/t/{parcel.shipment.public_token}/"
    assert f'href="{page}?src=preview"' in body
    assert "Not viewed yet." in body


def test_the_link_is_on_the_stores_own_domain_when_it_has_one(client, personas):
    with tenant_scope(personas.tenant_a):
        tenant_services.brand_update(personas.tenant_a, custom_tracking_domain="track.alpha.example")
    parcel = make_parcel(personas.tenant_a)
    client.force_login(personas.bob)
    assert f"https://track.alpha.example/t/{parcel.shipment.public_token}/" in detail(client, parcel)


def test_views_are_shown_by_source_flushed_or_not(client, personas):
    parcel = make_parcel(personas.tenant_a)
    viewed(parcel, "?src=email")
    viewed(parcel, "?src=email")
    pageviews.page_views_flush()
    viewed(parcel, "?src=sms")
    viewed(parcel)
    client.force_login(personas.bob)
    body = detail(client, parcel)
    assert "<strong>4</strong> views: 2 from e-mails, 1 from text messages, 1 direct." in body
    assert 'id="page-views"' in body


def test_a_low_rating_is_flagged_on_the_shipments_page(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"))
    client.force_login(personas.bob)
    assert "Not rated yet." in detail(client, parcel)
    rated(parcel, 2, "Left at the wrong door.")
    body = detail(client, parcel)
    assert "Low rating." in body and "Left at the wrong door." in body and "2/5" in body
    assert "The shopper can change it until" in body


def test_a_parcel_on_its_way_cannot_be_rated_yet(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    client.force_login(personas.bob)
    assert "once the parcel has arrived" in detail(client, parcel)


def test_the_list_filters_by_rating_and_marks_low_ones(client, personas,
                                                        django_assert_max_num_queries):
    happy = make_parcel(personas.tenant_a, statuses=("delivered",))
    unhappy = make_parcel(personas.tenant_a, statuses=("delivered",))
    quiet = make_parcel(personas.tenant_a, statuses=("delivered",))
    rated(happy, 5)
    rated(unhappy, 1)
    client.force_login(personas.bob)

    def numbers(**params) -> set[str]:
        body = client.get(LIST, params).content.decode()
        return {p.shipment.tracking_number for p in (happy, unhappy, quiet)
                if p.shipment.tracking_number in body}

    all_three = {p.shipment.tracking_number for p in (happy, unhappy, quiet)}
    assert numbers() == all_three
    assert numbers(rating="low") == {unhappy.shipment.tracking_number}
    assert numbers(rating="rated") == {happy.shipment.tracking_number,
                                       unhappy.shipment.tracking_number}
    assert numbers(rating="unrated") == {quiet.shipment.tracking_number}
    with django_assert_max_num_queries(9):  # as many as without ratings: one subquery
        body = client.get(LIST).content.decode()
    assert body.count("Rated 1/5") == 1 and "Rated 5/5" not in body
