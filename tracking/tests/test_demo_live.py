"""The demo's parcels: the seeded history (weeks old) plans no messages; the live parcels move
through the real ingestion path while the demo runs, and their messages are sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app, demo_schedule
from messaging.journeys.planning import stale_after
from messaging.models import Message
from orders.demo import seed_demo
from tenants.context import tenant_scope
from tenants.models import InboundWebhook
from tenants.outbox import outbox_drain
from tracking import tasks
from tracking.demo import seed_demo_shipments
from tracking.demo_live import STEP, live_parcels, live_parcels_advance
from tracking.models import Shipment, ShipmentMilestone, TrackingEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    tenant, _ = seed_demo()
    return tenant


def test_the_seeded_history_plans_no_message_about_old_milestones(store):
    seed_demo_shipments(store, live=False)
    cut_off = timezone.now() - stale_after()
    with tenant_scope(store):
        outbox_drain(store, ShipmentMilestone)
        old = {(m.shipment_id, m.milestone)
               for m in ShipmentMilestone.objects.filter(occurred_at__lt=cut_off)}
        told = set(Message.objects.exclude(shipment=None).values_list("shipment_id", "milestone"))
        assert ShipmentMilestone.objects.filter(announced_at=None).count() == 0
    assert len(old) > 300
    assert not old & told


def test_live_parcels_start_with_their_label_and_wait_for_their_time(store):
    started = timezone.now()
    assert seed_demo_shipments(store, now=started, live=True).live == 3
    with tenant_scope(store):
        parcels = live_parcels(store)
        assert [(p.scans, p.shipment.status) for p in parcels] == [(1, "pending")] * 3
        assert all(p.shipment.order.customer.transactional_email_consent for p in parcels)
        assert live_parcels_advance(store, now=started + STEP / 2) == 0
    # A new round only once every parcel of this one has arrived.
    assert seed_demo_shipments(store, live=True).live == 0


def test_a_due_scan_goes_through_the_real_ingestion_path_and_a_message_is_sent(
        store, django_capture_on_commit_callbacks):
    started = timezone.now() - timedelta(minutes=10)
    seed_demo_shipments(store, now=started, live=True)
    with tenant_scope(store):
        first = live_parcels(store)[0]
    # Only the first parcel is due one step after its label; the others start later.
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(store):
        assert live_parcels_advance(store, now=started + STEP) == 1
    with tenant_scope(store):
        inbound = InboundWebhook.objects.get(source="generic")
        assert inbound.status == InboundWebhook.Status.PROCESSED
        shipment = Shipment.objects.get(pk=first.shipment.pk)
        assert shipment.status == "in_transit"
        message = Message.objects.get(shipment=shipment, milestone="shipped", channel="email")
        assert message.recipient == shipment.order.customer.email
    assert (message.status, message.provider) == (Message.Status.SENT, "outbox")


def test_the_periodic_task_moves_every_due_parcel_one_step(
        store, django_capture_on_commit_callbacks):
    seed_demo_shipments(store, now=timezone.now() - timedelta(minutes=10), live=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.demo_live_parcels_advance_all() == 1  # one task per store
    with tenant_scope(store):
        assert [p.scans for p in live_parcels(store)] == [2, 2, 2]
        assert [p.shipment.status for p in live_parcels(store)] == ["in_transit"] * 3


def test_a_tick_that_runs_twice_stores_the_scan_once(store):
    started = timezone.now() - timedelta(minutes=10)
    seed_demo_shipments(store, now=started, live=True)
    with tenant_scope(store):
        live_parcels_advance(store, now=started + STEP)
        live_parcels_advance(store, now=started + STEP)  # before the first body was applied
    tasks.inbound_drain(store.pk)
    with tenant_scope(store):
        assert TrackingEvent.objects.filter(shipment=live_parcels(store)[0].shipment).count() == 2
        assert InboundWebhook.objects.filter(source="generic").count() == 2


def test_beat_schedules_the_live_parcels_only_with_the_setting(settings):
    schedule = app.conf.beat_schedule
    try:
        settings.DEMO_LIVE_PARCELS = False
        demo_schedule(sender=app)
        assert "demo-live-parcels" not in schedule
        settings.DEMO_LIVE_PARCELS = True
        demo_schedule(sender=app)
        assert schedule["demo-live-parcels"]["task"] == "tracking.tasks.demo_live_parcels_advance_all"
    finally:
        schedule.pop("demo-live-parcels", None)
