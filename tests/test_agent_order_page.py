"""The agent console's order page: one timeline merged from orders, tracking and messaging, its
filters, a bounded number of queries whatever the order's size, the agent's actions (each on
the timeline naming the agent), a viewer who reads but cannot act, and the search endpoints."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from messaging.models import Message, MessageEvent
from messaging.tests.factories import PLACED_AT, make_customer, make_message, make_order, make_shipment
from orders.models import Customer, OrderEvent
from tenants.context import tenant_scope
from tenants.models import AuditEntry
from tenants.permissions import Role
from tenants.tests.factories import UserFactory, add_member
from tracking.models import TrackingEvent

pytestmark = pytest.mark.django_db


def _fill(tenant, order, *, parcels: int, messages: int) -> None:
    """`parcels` parcels with three scans each, `messages` sent e-mails with two events each."""
    with tenant_scope(tenant):
        shipments = [make_shipment(tenant, order, with_items=False) for _ in range(parcels)]
        TrackingEvent.objects.bulk_create([
            TrackingEvent(tenant=tenant, shipment=s, source="easypost", carrier="DHL",
                          tracking_number=s.tracking_number, status="in_transit",
                          occurred_at=PLACED_AT + timedelta(hours=n), dedup_key=f"{s.pk}:{n}",
                          message=f"Arrived at the hub of Leipzig ({n})",
                          location={"city": "Leipzig", "country": "DE"})
            for s in shipments for n in range(3)])
    for n in range(messages):
        message = make_message(tenant, shipment=shipments[n % parcels] if parcels else None,
                               order=order, status="opened", subject=f"Your parcel is on its way {n}",
                               text_body=f"Hello Sam, parcel {n} left our warehouse.",
                               sent_at=PLACED_AT + timedelta(days=1, minutes=n))
        with tenant_scope(tenant):
            MessageEvent.objects.bulk_create([
                MessageEvent(tenant=tenant, message=message, kind=kind, source="sendgrid",
                             occurred_at=PLACED_AT + timedelta(days=1, minutes=n, seconds=s))
                for s, kind in ((10, "delivered"), (50, "open"))])


@pytest.fixture
def order(personas):
    customer = make_customer(personas.tenant_a, first_name="Zoë", last_name="Müller",
                             email="zoe@example.com")
    order = make_order(personas.tenant_a, customer=customer, number="#5001")
    _fill(personas.tenant_a, order, parcels=2, messages=2)
    return order


def _page(client, order, **params) -> str:
    response = client.get(reverse("orders:detail", args=[order.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_timeline_merges_scans_messages_and_their_events(client, personas, order):
    client.force_login(personas.bob)
    body = _page(client, order)
    assert "Arrived at the hub of Leipzig (2)" in body  # the carrier's own words
    assert "Your parcel is on its way 1" in body and "parcel 1 left our warehouse" in body
    assert "Opened: E-mail" in body and "Delivered: E-mail" in body
    assert "Open the tracking page as the shopper sees it" in body
    assert 'style="' not in body.split('id="main"')[1] and "<script>" not in body


def test_the_timeline_filters_by_kind(client, personas, order):
    client.force_login(personas.bob)
    body = _page(client, order, kind="parcel")
    assert "Arrived at the hub" in body and "Opened: E-mail" not in body
    assert "Arrived at the hub" not in _page(client, order, kind="message")


def test_the_timeline_costs_the_same_queries_for_a_big_order(
        client, personas, order, django_assert_max_num_queries):
    client.force_login(personas.bob)
    with CaptureQueriesContext(connection) as small:
        _page(client, order)
    big = make_order(personas.tenant_a, number="#5002")
    _fill(personas.tenant_a, big, parcels=20, messages=200)
    with django_assert_max_num_queries(len(small)):
        body = _page(client, big)
    assert body.count('class="console-entry') == 100 and "Show 560 older entries" in body
    with django_assert_max_num_queries(len(small)):
        body = _page(client, big, all="1")
    # Every scan, every message and both of its events: nothing left out to stay bounded.
    assert body.count('class="console-entry') == 20 * 3 + 200 * 3
    assert len(small) <= 30


def test_an_agent_adds_a_note_that_emails_the_member_it_mentions(
        client, personas, order, django_capture_on_commit_callbacks):
    client.force_login(personas.bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("orders:note-add", args=[order.pk]),
                               {"text": "Called the shopper. @alice please refund the mat."})
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        note = OrderEvent.objects.get(order=order, kind="note")
    assert note.actor == "user:bob@alpha.test" and note.data["mentions"] == ["alice@alpha.test"]
    assert [m.to for m in mail.outbox] == [["alice@alpha.test"]]
    assert "please refund the mat" in _page(client, order)


def test_an_agent_corrects_the_email_and_future_messages_use_it(client, personas, order):
    client.force_login(personas.bob)
    client.post(reverse("orders:contact", args=[order.pk]),
                {"email": "Zoe.New@Example.com", "phone": "+4915199999999", "reason": "called"})
    with tenant_scope(personas.tenant_a):
        customer = Customer.objects.get(pk=order.customer_id)
        action = OrderEvent.objects.get(order=order, kind="agent_action")
    assert (customer.email, customer.phone) == ("zoe.new@example.com", "+4915199999999")
    assert "zoe@example.com → zoe.new@example.com" in action.summary
    assert action.actor == "user:bob@alpha.test"


def test_a_bad_phone_is_refused_in_words(client, personas, order):
    client.force_login(personas.bob)
    response = client.post(reverse("orders:contact", args=[order.pk]),
                           {"email": "zoe@example.com", "phone": "call me"}, follow=True)
    assert "E.164" in response.content.decode()
    with tenant_scope(personas.tenant_a):
        assert Customer.objects.get(pk=order.customer_id).phone == "+4915112345678"


def test_an_agent_records_consent_with_a_reason(client, personas, order):
    client.force_login(personas.bob)
    client.post(reverse("orders:consent", args=[order.pk]),
                {"channel": "transactional_sms", "given": "1", "reason": "asked on the phone"})
    with tenant_scope(personas.tenant_a):
        customer = Customer.objects.get(pk=order.customer_id)
    assert customer.transactional_sms_consent and customer.transactional_sms_consent_source == "agent"


def test_an_agent_sends_a_message_again_to_a_corrected_address_once(client, personas, order):
    client.force_login(personas.bob)
    with tenant_scope(personas.tenant_a):
        first = Message.objects.filter(order=order).order_by("pk").first()
    url = reverse("messaging:message-send-again", args=[first.pk])
    form = {"recipient": "zoe.other@example.com", "request_key": "k" * 16}
    client.post(url, form)
    client.post(url, form)  # a double click
    with tenant_scope(personas.tenant_a):
        copies = list(Message.objects.filter(recipient="zoe.other@example.com"))
        action = OrderEvent.objects.get(order=order, kind="agent_action")
    assert len(copies) == 1 and copies[0].text_body == first.text_body
    assert copies[0].status == "scheduled" and "(was zoe@example.com)" in action.summary


def test_an_agent_marks_a_parcel_lost(client, personas, order):
    client.force_login(personas.bob)
    with tenant_scope(personas.tenant_a):
        shipment = order.shipments.first()
    client.post(reverse("tracking:shipment-mark", args=[shipment.pk]), {"mark": "lost_reshipping"})
    assert "Marked lost — reshipping" in _page(client, order)


def test_copying_the_tracking_link_is_on_the_timeline_and_in_the_audit_log(client, personas,
                                                                          order):
    client.force_login(personas.bob)
    with tenant_scope(personas.tenant_a):
        shipment = order.shipments.first()
    url = reverse("tracking:shipment-mark", args=[shipment.pk])
    assert f'hx-post="{url}"' in _page(client, order)
    # With script the link is copied in the browser and the click recorded: 204, no page.
    answer = client.post(url, {"mark": "link_copied"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 204 and not answer.content
    # Without script nothing was copied: the answer shows the link to copy by hand.
    answer = client.post(url, {"mark": "link_copied"}, follow=True)
    assert f"/t/{shipment.public_token}/" in answer.content.decode()
    with tenant_scope(personas.tenant_a):
        actions = list(OrderEvent.objects.filter(order=order, kind="agent_action"))
        audit = list(AuditEntry.objects.filter(action="order.agent_action", object_id=order.pk))
    assert [a.actor for a in actions] == ["user:bob@alpha.test"] * 2
    assert all(a.summary.startswith("Tracking link copied for the shopper: ") for a in actions)
    assert len(audit) == 2 and audit[0].data["mark"] == "link_copied"
    assert "Tracking link copied for the shopper" in _page(client, order)


def test_a_viewer_reads_the_page_but_sees_no_actions_and_cannot_post(client, personas, order):
    viewer = UserFactory(email="vera@alpha.test", username="vera")
    add_member(personas.tenant_a, viewer, Role.VIEWER)
    client.force_login(viewer)
    body = _page(client, order)
    assert "Arrived at the hub" in body
    assert "Add note" not in body and "Send again" not in body and "Lost — reshipping" not in body
    with tenant_scope(personas.tenant_a):
        message = Message.objects.filter(order=order).first()
        shipment = order.shipments.first()
    for url, data in [(reverse("orders:note-add", args=[order.pk]), {"text": "hi"}),
                      (reverse("orders:contact", args=[order.pk]), {"email": "x@example.com"}),
                      (reverse("orders:consent", args=[order.pk]),
                       {"channel": "marketing_email", "given": "1", "reason": "x"}),
                      (reverse("messaging:message-send-again", args=[message.pk]),
                       {"request_key": "k" * 16}),
                      (reverse("tracking:shipment-mark", args=[shipment.pk]),
                       {"mark": "customer_contacted"})]:
        assert client.post(url, data).status_code == 403, url


def test_another_tenants_order_page_and_actions_are_not_found(client, personas, order):
    client.force_login(personas.carol)
    assert client.get(reverse("orders:detail", args=[order.pk])).status_code == 404
    assert client.post(reverse("orders:note-add", args=[order.pk]),
                       {"text": "x"}).status_code == 404


def test_the_search_page_opens_the_best_match_on_enter(client, personas, order):
    client.force_login(personas.bob)
    response = client.get(reverse("orders:search"), {"q": "zoe mulle", "go": "1"})
    assert response.status_code == 302 and response.url == reverse("orders:detail",
                                                                    args=[order.pk])
    partial = client.get(reverse("orders:search"), {"q": "5001"}, HTTP_HX_REQUEST="true")
    assert "#5001" in partial.content.decode() and "<html" not in partial.content.decode()
    long = client.get(reverse("orders:search"), {"q": "x" * 300})
    assert long.status_code == 200 and "longer than a search can be" in long.content.decode()


def test_the_search_box_is_on_every_dashboard_page(client, personas):
    client.force_login(personas.bob)
    for url in (reverse("orders:list"), reverse("tracking:shipments"), reverse("dashboard:home")):
        assert 'id="console-q"' in client.get(url).content.decode()


def test_the_search_api_answers_best_match_first(api_client, personas, order):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    response = api_client.get("/api/v1/orders/search/", {"q": "Zoe Muller"})
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["number"] == "#5001" and first["customer"]["email"] == "zoe@example.com"
    assert first["matched"] == "Customer name" and first["dashboard_url"].endswith(
        f"/orders/{order.pk}/")
    assert re.match(r"DHL \d+: In transit", first["flags"][0]["label"])


@pytest.mark.parametrize("q", ["", "   ", "x" * 201])
def test_the_search_api_refuses_blank_and_long_queries(api_client, personas, q):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    response = api_client.get("/api/v1/orders/search/", {"q": q})
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_the_search_api_never_finds_another_tenants_order(api_client, personas, order):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.carol_key}")
    for q in ("zoe@example.com", "#5001", "Zoë Müller"):
        assert api_client.get("/api/v1/orders/search/", {"q": q}).json()["results"] == []
