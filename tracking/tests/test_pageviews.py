"""Tracking-page views: counted in Redis with no SQL per view, bots and previews left out,
added to ShipmentPageViewDay by the periodic flush, shown with what is still pending."""

from __future__ import annotations

import pytest
import redis
from django.test import Client
from django.utils import timezone

from config.redis_client import redis_client
from tenants.context import tenant_scope
from tracking import pageviews
from tracking import services as tracking_services
from tracking.models import ShipmentPageViewDay
from tracking.public.cache import tracking_page_forget
from tracking.tasks import page_views_flush

pytestmark = pytest.mark.django_db

PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")


@pytest.fixture(autouse=True)
def empty_buffer():
    keys = [pageviews._pending_key(), pageviews._flushing_key(), pageviews._lock_key()]
    redis_client().delete(*keys)
    yield
    redis_client().delete(*keys)


@pytest.fixture
def parcel(personas):
    with tenant_scope(personas.tenant_a):
        return tracking_services.shipment_create(personas.tenant_a, carrier="DHL",
                                                 tracking_number="PV0001")


def view(tenant, shipment, query: str = "", *, agent: str = PHONE, method: str = "get",
         **headers) -> None:
    """A view of the shipment's page, as a shopper's browser (or a bot) makes it."""
    response = getattr(Client(), method)(f"/t/{shipment.public_token}/{query}",
                                         HTTP_USER_AGENT=agent, **headers)
    assert response.status_code == 200


def stored(tenant) -> dict[tuple[int, str], int]:
    with tenant_scope(tenant):
        return {(row.shipment_id, row.source): row.views
                for row in ShipmentPageViewDay.objects.all()}


def test_a_view_of_a_cached_page_runs_no_sql_and_counts_its_source(
        personas, parcel, django_assert_num_queries):
    tenant = personas.tenant_a
    view(tenant, parcel, "?src=preview")  # the pages rendered and cached, nothing counted
    view(tenant, parcel, "?src=preview&lang=de")
    with django_assert_num_queries(0):
        view(tenant, parcel, "?src=email")
        view(tenant, parcel, "?src=email&lang=de")
        view(tenant, parcel, "?src=sms")
        view(tenant, parcel)
        view(tenant, parcel, "?src=newsletter")  # not one of ours: direct
    assert page_views_flush() == 5
    assert stored(tenant) == {(parcel.pk, "email"): 2, (parcel.pk, "sms"): 1,
                              (parcel.pk, "direct"): 2}


@pytest.mark.parametrize("agent", [
    "", "Googlebot/2.1 (+http://www.google.com/bot.html)", "WhatsApp/2.23.20.0",
    "facebookexternalhit/1.1", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "curl/8.5.0", "python-requests/2.32.3",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/126.0 Safari/537.36",
])
def test_bots_and_link_previews_are_not_counted(personas, parcel, agent):
    view(personas.tenant_a, parcel, agent=agent)
    assert page_views_flush() == 0


def test_prefetches_head_requests_and_dashboard_previews_are_not_counted(personas, parcel):
    tenant = personas.tenant_a
    view(tenant, parcel, HTTP_SEC_PURPOSE="prefetch")
    view(tenant, parcel, HTTP_PURPOSE="prefetch")
    view(tenant, parcel, method="head")
    view(tenant, parcel, "?src=preview")
    assert page_views_flush() == 0
    assert stored(tenant) == {}


def test_flushes_add_up_per_day_and_keep_tenants_apart(personas, parcel):
    tenant_a, tenant_b = personas.tenant_a, personas.tenant_b
    with tenant_scope(tenant_b):
        other = tracking_services.shipment_create(tenant_b, carrier="DHL", tracking_number="PV0002")
    view(tenant_a, parcel, "?src=email")
    view(tenant_b, other, "?src=sms")
    assert page_views_flush() == 2
    view(tenant_a, parcel, "?src=email")
    view(tenant_a, parcel, "?src=email")
    assert page_views_flush() == 2
    assert stored(tenant_a) == {(parcel.pk, "email"): 3}
    assert stored(tenant_b) == {(other.pk, "sms"): 1}
    with tenant_scope(tenant_a):
        row = ShipmentPageViewDay.objects.get()
    assert row.day == timezone.now().date()


def test_a_flush_that_died_is_finished_first_and_new_views_wait_for_the_next(personas, parcel):
    tenant = personas.tenant_a
    view(tenant, parcel, "?src=sms")
    # A run renamed the buffer and died before writing: the next run writes those views...
    redis_client().rename(pageviews._pending_key(), pageviews._flushing_key())
    view(tenant, parcel, "?src=email")  # ...while this one, counted since, waits its turn.
    assert page_views_flush() == 1
    assert stored(tenant) == {(parcel.pk, "sms"): 1}
    assert page_views_flush() == 1
    assert stored(tenant) == {(parcel.pk, "sms"): 1, (parcel.pk, "email"): 1}


def test_only_one_flush_runs_at_a_time(personas, parcel):
    view(personas.tenant_a, parcel)
    redis_client().set(pageviews._lock_key(), 1)
    assert page_views_flush() == 0
    redis_client().delete(pageviews._lock_key())
    assert page_views_flush() == 1


def test_views_of_a_deleted_shipment_and_garbage_fields_are_dropped(personas, parcel):
    tenant = personas.tenant_a
    view(tenant, parcel)
    redis_client().hincrby(pageviews._pending_key(), "not:a:valid:field:at:all", 3)
    with tenant_scope(tenant):
        parcel.delete()
    assert page_views_flush() == 0
    assert not redis_client().exists(pageviews._flushing_key())


def test_the_dashboard_figures_include_views_not_flushed_yet(personas, parcel):
    tenant = personas.tenant_a
    view(tenant, parcel, "?src=email")
    page_views_flush()
    view(tenant, parcel, "?src=email")
    view(tenant, parcel, "?src=sms")
    with tenant_scope(tenant):
        figures = pageviews.shipment_page_views(tenant, parcel.pk)
    assert figures.total == 3
    assert figures.by_source == {"email": 2, "sms": 1, "direct": 0}
    assert figures.days == [(timezone.now().date(), {"email": 2, "sms": 1, "direct": 0})]


def test_a_redis_outage_loses_the_view_not_the_page(personas, parcel, monkeypatch, caplog):
    from config import redis_client as module

    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(module, "_client", down)
    view(personas.tenant_a, parcel)  # answered 200 (`view` checks)
    assert "cache unreachable" in caplog.text
    monkeypatch.undo()
    assert page_views_flush() == 0


def test_each_view_is_counted_once_whether_the_page_was_cached_or_not(personas, parcel):
    """A cached page counts its view in the round trip that reads it; a page this process
    had seen but must render again (forgotten since) was counted in that same trip, and its
    store must not count it a second time."""
    tenant = personas.tenant_a
    view(tenant, parcel)  # not cached: counted with the page it stores
    view(tenant, parcel)  # cached
    with tenant_scope(tenant):
        tracking_page_forget(tenant.pk, [parcel.pk])
    view(tenant, parcel)  # its meta remembered, its page forgotten: rendered again
    view(tenant, parcel, "?lang=fr")  # a language not cached yet
    assert page_views_flush() == 4
    assert stored(tenant) == {(parcel.pk, "direct"): 4}
