"""The tracking page's speed contract: at most two SQL statements uncached, none cached, and a
cached page forgotten whenever what it shows changes (a scan, the brand, the page settings,
the order, a rating); recommendations come from a cache filled off the request path, and
their clicks are recorded."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from recommendations.models import RecommendationClick
from tenants.context import tenant_scope
from tenants.services import brand_update
from tracking.models import TrackingPageSettings
from tracking.public import cache as page_cache
from tracking.public.tasks import page_picks_fill, page_picks_fill_due

from .page_support import make_order, make_parcel, scan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def warm(client, parcel) -> None:
    """The first view of an order asks for its recommendations; the periodic task computes
    them (its per-tenant task runs at once here: tasks are eager in tests), which forgets the
    page when they are stored; the second view is the first one a shopper's next visit would
    find cached."""
    client.get(parcel.url)
    page_picks_fill_due()
    client.get(parcel.url)


def queries_for(client, url: str, **headers) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_an_uncached_page_costs_at_most_two_statements_and_a_cached_one_none(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("pending", "in_transit", "delivered"))
    make_order(personas.tenant_a, products=[{"title": "Trail Lantern", "category": "Lights"}])
    warm(client, parcel)  # the order's recommendations are now cached
    page_cache.store.delete_many([f"tp:v:{parcel.shipment.public_token}"])
    uncached, html = queries_for(client, parcel.url)
    assert uncached <= 2
    assert "Goes well with your order" in html
    cached, again = queries_for(client, parcel.url)
    assert cached == 0
    assert again == html


def test_each_language_is_cached_on_its_own(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    warm(client, parcel)
    count, german = queries_for(client, f"{parcel.url}?lang=de")
    assert count >= 1 and '<html lang="de">' in german
    assert queries_for(client, f"{parcel.url}?lang=de")[0] == 0
    count, english = queries_for(client, parcel.url)
    assert count == 0 and '<html lang="en">' in english


def test_a_new_scan_shows_at_once(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    assert "Your parcel is on its way" in queries_for(client, parcel.url)[1]
    scan(personas.tenant_a, parcel.shipment, ("out_for_delivery",), message="With the driver",
         start=parcel.shipment.last_event_at.replace(hour=20))
    count, html = queries_for(client, parcel.url)
    assert count >= 1
    assert "Your parcel is out for delivery" in html and "With the driver" in html


def test_a_scan_of_one_parcel_updates_its_siblings_list(client, personas):
    order, customer, products = make_order(personas.tenant_a)
    first = make_parcel(personas.tenant_a, order=order, customer=customer, products=products)
    second = make_parcel(personas.tenant_a, order=order, customer=customer, products=products)
    warm(client, first)
    assert 'class="st">Delivered' not in queries_for(client, first.url)[1]
    scan(personas.tenant_a, second.shipment, ("delivered",),
         start=second.shipment.last_event_at.replace(hour=22))
    assert 'class="st">Delivered' in queries_for(client, first.url)[1]


def test_a_brand_change_shows_at_once(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    queries_for(client, parcel.url)
    with tenant_scope(personas.tenant_a):
        brand_update(personas.tenant_a, primary_color="#AA1122", sender_name="Alpha Outdoor Co")
    count, html = queries_for(client, parcel.url)
    assert count >= 1
    assert "--brand:#AA1122" in html and "Alpha Outdoor Co" in html


def test_page_settings_an_order_and_a_shopper_change_show_at_once(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "exception"), cause="carrier")
    queries_for(client, parcel.url)
    with tenant_scope(personas.tenant_a):
        TrackingPageSettings.objects.create(apology_text="So sorry", apology_code="OOPS5")
    assert "OOPS5" in queries_for(client, parcel.url)[1]
    with tenant_scope(personas.tenant_a):
        parcel.customer.first_name = "Samira"
        parcel.customer.save()
    assert "Hi Samira" in queries_for(client, parcel.url)[1]
    with tenant_scope(personas.tenant_a):
        Order.objects.filter(pk=parcel.order.pk).get().save()  # an ORM save, as upserts do
    assert queries_for(client, parcel.url)[0] >= 1


def test_tracking_page_forget_drops_one_shipment_or_the_whole_tenant(client, personas):
    one = make_parcel(personas.tenant_a, statuses=("in_transit",))
    other = make_parcel(personas.tenant_a, statuses=("in_transit",))
    theirs = make_parcel(personas.tenant_b, statuses=("in_transit",))
    for parcel in (one, other, theirs):
        warm(client, parcel)
    with tenant_scope(personas.tenant_a):
        page_cache.tracking_page_forget(personas.tenant_a.pk, [one.shipment.pk])
    assert queries_for(client, one.url)[0] >= 1
    assert queries_for(client, other.url)[0] == 0
    with tenant_scope(personas.tenant_a):
        page_cache.tracking_page_forget(personas.tenant_a.pk)
    assert queries_for(client, other.url)[0] >= 1
    assert queries_for(client, theirs.url)[0] == 0  # another tenant's pages stay


def test_a_page_rendered_across_a_change_is_not_served_after_it(client, personas):
    """The race: a page read from the database before a change commits, stored after the
    change forgot the cache. Its generations were read before its statement, so it is dead."""
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    token = parcel.shipment.public_token
    warm(client, parcel)  # meta known: generations are read before the statement
    found = page_cache.page_lookup(token, lambda meta: "en")
    assert found.page is not None
    with tenant_scope(personas.tenant_a):
        page_cache.tracking_page_forget(personas.tenant_a.pk, [parcel.shipment.pk])
    stale = page_cache.Page(versions=found.page.versions, lang="en", body=b"stale")
    page_cache.page_store(token, found.meta, stale)
    count, html = queries_for(client, parcel.url)
    assert count >= 1 and html != "stale"


def test_an_evicted_generation_costs_a_render_never_a_stale_page(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    warm(client, parcel)
    page_cache.store.delete_many([f"tp:t:{personas.tenant_a.pk}"])
    assert queries_for(client, parcel.url)[0] >= 1
    assert queries_for(client, parcel.url)[0] == 0


def test_recommendations_are_filled_off_the_request_and_their_clicks_recorded(client, personas):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"))
    accessory = make_order(personas.tenant_a, products=[
        {"title": "Trail Lantern", "category": "Lights"}])[2][0]
    page_picks_fill(personas.tenant_a.pk, [parcel.order.pk])
    html = queries_for(client, parcel.url)[1]
    link = f"{parcel.url}go/{accessory.pk}/"
    assert "Trail Lantern" in html and f'href="{link}"' in html
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"].startswith(accessory.url)
    assert "utm_medium=tracking_page" in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    client.get(link)  # the same minute: one click
    with tenant_scope(personas.tenant_a):
        clicks = list(RecommendationClick.objects.values_list(
            "product_id", "order_id", "customer_id", "surface", "reference"))
    assert clicks == [(accessory.pk, parcel.order.pk, parcel.customer.pk, "tracking_page",
                       str(parcel.shipment.pk))]


def test_a_signed_in_member_viewing_a_cached_page_costs_no_sql_either(client, personas):
    """The dashboard's live preview shows the real page to a signed-in member: the shopper
    path reads no session, user or membership."""
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    client.force_login(personas.alice)
    warm(client, parcel)
    assert queries_for(client, parcel.url)[0] == 0


def test_a_page_this_process_has_seen_costs_one_cache_round_trip(client, personas,
                                                                  monkeypatch):
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    warm(client, parcel)
    calls = []
    real = page_cache.store.get_many
    monkeypatch.setattr(page_cache.store, "get_many",
                        lambda keys, count=None: calls.append(count) or real(keys, count=count))
    monkeypatch.setattr(page_cache.store, "trip", lambda: pytest.fail("a second trip"))
    phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148"
    assert queries_for(client, parcel.url, HTTP_USER_AGENT=phone)[0] == 0
    assert len(calls) == 1 and calls[0] is not None  # the view counted in that same trip
    monkeypatch.undo()
    # A remembered meta gone stale (the shopper's language changed) is caught in that trip.
    with tenant_scope(personas.tenant_a):
        parcel.customer.locale = "de"
        parcel.customer.save()
    assert '<html lang="de">' in queries_for(client, parcel.url)[1]


def test_the_first_view_asks_for_picks_and_the_periodic_task_fills_them(client, personas):
    """An uncached page queues no task itself (a publish costs most of the page's budget):
    it adds its order to a set that the periodic task empties, one task per tenant."""
    from config.celery import app

    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    make_order(personas.tenant_a, products=[{"title": "Trail Lantern", "category": "Lights"}])
    assert "Goes well with your order" not in queries_for(client, parcel.url)[1]
    assert page_cache.picks_wanted_take() == {personas.tenant_a.pk: [parcel.order.pk]}
    assert page_cache.picks_wanted_take() == {}
    with tenant_scope(personas.tenant_a):
        page_cache.tracking_page_forget(personas.tenant_a.pk, [parcel.shipment.pk])
    client.get(parcel.url)  # rendered again, still without picks: asked again
    assert page_picks_fill_due() == 1
    assert "Goes well with your order" in queries_for(client, parcel.url)[1]
    assert app.conf.beat_schedule["page-picks-fill"]["task"] == page_picks_fill_due.name


def test_an_uncached_page_of_a_tenant_served_lately_costs_two_cache_round_trips(
        client, personas, monkeypatch):
    """The lookup reads the order's picks and the generations of the tenants this process
    served lately with the page's own keys; the page is stored, and its view counted, in one
    more. A tenant it has not served lately costs one trip more, for its generation."""
    first, second = (make_parcel(personas.tenant_a, statuses=("in_transit",)) for _ in range(2))
    theirs = make_parcel(personas.tenant_b, statuses=("in_transit",))
    monkeypatch.setattr(page_cache, "_tenants_seen", type(page_cache._tenants_seen)())
    trips = []
    real = page_cache.store.trip
    monkeypatch.setattr(page_cache.store, "trip", lambda: trips.append(1) or real())
    client.get(first.url)
    assert len(trips) == 3
    trips.clear()
    assert queries_for(client, second.url)[0] >= 1
    assert len(trips) == 2
    trips.clear()
    assert "Your parcel is on its way" in queries_for(client, theirs.url)[1]
    assert len(trips) == 3


@pytest.fixture
def redis_down(monkeypatch):
    """The process's Redis client pointed at a port nothing listens on (config.redis_client
    keeps one client per process): every cache trip raises a ConnectionError."""
    import redis

    from config import redis_client as module

    monkeypatch.setattr(module, "_client", redis.Redis(host="127.0.0.1", port=1,
                                                        socket_connect_timeout=0.2))


def test_with_the_cache_down_the_shopper_still_gets_the_page(client, personas, redis_down,
                                                             caplog):
    parcel = make_parcel(personas.tenant_a, statuses=("pending", "in_transit"))
    count, html = queries_for(client, parcel.url)
    assert count <= 2 and "In transit" in html
    assert "cache unreachable" in caplog.text


def test_a_cache_lost_between_the_lookup_and_the_store_still_serves_the_page(
        client, personas, monkeypatch):
    parcel = make_parcel(personas.tenant_a, statuses=("pending", "in_transit"))

    def store_fails(*args, **kwargs):
        import redis
        raise redis.exceptions.ConnectionError("gone")

    monkeypatch.setattr(page_cache, "page_store", store_fails)
    response = client.get(parcel.url)
    assert response.status_code == 200 and "In transit" in response.content.decode()
