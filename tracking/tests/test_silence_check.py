"""The silence job: flags set and cleared on real shipments, each milestone recorded once and
announced through the outbox, one tenant at a time, and the periodic task that runs it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from config.celery import app as celery_app
from tenants.context import TenantNotSetError, tenant_scope
from tracking import services, silence
from tracking.models import Shipment, ShipmentMilestone, TrackingEvent
from tracking.tasks import silence_check_all

pytestmark = pytest.mark.django_db

FRIDAY_NOON = datetime(2026, 3, 6, 12, tzinfo=UTC)
MONDAY_NOON = datetime(2026, 3, 9, 12, tzinfo=UTC)
WEDNESDAY_NOON = datetime(2026, 3, 11, 12, tzinfo=UTC)


def make_shipment(tenant, number="1Z001", *, status="pending", created_at=FRIDAY_NOON,
                  **fields) -> Shipment:
    with tenant_scope(tenant):
        shipment = Shipment.objects.create(carrier="UPS", tracking_number=number, status=status,
                                           **fields)
        Shipment.objects.filter(pk=shipment.pk).update(created_at=created_at)
        shipment.refresh_from_db()
    return shipment


def scan(tenant, shipment, status, at, **fields) -> None:
    """A carrier scan arrives and the shipment is recomputed, as the webhook pipeline does."""
    with tenant_scope(tenant):
        TrackingEvent.objects.create(
            shipment=shipment, source="generic", carrier=shipment.carrier,
            tracking_number=shipment.tracking_number, occurred_at=at, status=status,
            dedup_key=f"{shipment.pk}:{status}:{at.isoformat()}", **fields)
        services.shipment_recompute(tenant, shipment.pk)


def check(tenant, now, capture) -> silence.SilenceResult:
    with capture(execute=True), tenant_scope(tenant):
        return silence.shipments_check_silence(tenant, now=now)


def reload(tenant, shipment) -> Shipment:
    with tenant_scope(tenant):
        return Shipment.objects.get(pk=shipment.pk)


def milestones(tenant, shipment) -> list[str]:
    with tenant_scope(tenant):
        return sorted(ShipmentMilestone.objects.filter(shipment=shipment)
                      .values_list("milestone", flat=True))


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_a_label_without_a_scan_over_a_weekend_is_not_stalled_yet(personas, capture):
    shipment = make_shipment(personas.tenant_a)
    result = check(personas.tenant_a, MONDAY_NOON, capture)
    assert (result.scanned, result.stalled) == (1, 0)
    assert not reload(personas.tenant_a, shipment).stalled


def test_a_label_without_a_scan_for_two_working_days_is_stalled_and_announced(
        personas, capture, milestones_handed):
    shipment = make_shipment(personas.tenant_a)
    result = check(personas.tenant_a, WEDNESDAY_NOON, capture)
    assert (result.stalled, result.milestones) == (1, 1)
    assert reload(personas.tenant_a, shipment).stalled
    assert milestones_handed == [(personas.tenant_a.slug, shipment.pk, "stalled")]


def test_the_stalled_milestone_is_recorded_once(personas, capture, milestones_handed):
    shipment = make_shipment(personas.tenant_a)
    check(personas.tenant_a, WEDNESDAY_NOON, capture)
    again = check(personas.tenant_a, WEDNESDAY_NOON + timedelta(hours=1), capture)
    assert (again.stalled, again.milestones) == (0, 0)
    assert milestones(personas.tenant_a, shipment) == ["stalled"]
    assert milestones_handed == [(personas.tenant_a.slug, shipment.pk, "stalled")]


def test_a_new_scan_clears_stalled(personas, capture):
    shipment = make_shipment(personas.tenant_a)
    check(personas.tenant_a, WEDNESDAY_NOON, capture)
    scan(personas.tenant_a, shipment, "in_transit", WEDNESDAY_NOON + timedelta(hours=1))
    assert not reload(personas.tenant_a, shipment).stalled
    # …and the next run agrees: the parcel is moving again.
    result = check(personas.tenant_a, WEDNESDAY_NOON + timedelta(hours=2), capture)
    assert result.stalled == 0
    assert not reload(personas.tenant_a, shipment).stalled


def test_a_second_stall_flags_again_but_does_not_resend(personas, capture, milestones_handed):
    shipment = make_shipment(personas.tenant_a)
    check(personas.tenant_a, WEDNESDAY_NOON, capture)
    scan(personas.tenant_a, shipment, "in_transit", WEDNESDAY_NOON)
    result = check(personas.tenant_a, WEDNESDAY_NOON + timedelta(days=7), capture)
    assert (result.stalled, result.milestones) == (1, 0)
    assert reload(personas.tenant_a, shipment).stalled
    assert milestones_handed == [(personas.tenant_a.slug, shipment.pk, "stalled")]


def test_a_stall_that_no_longer_holds_is_cleared_by_the_job(personas, capture):
    shipment = make_shipment(personas.tenant_a)
    check(personas.tenant_a, WEDNESDAY_NOON, capture)
    with tenant_scope(personas.tenant_a):
        silence.tracking_settings_update(personas.tenant_a, label_silence_hours=200)
    result = check(personas.tenant_a, WEDNESDAY_NOON, capture)
    assert result.unstalled == 1
    assert not reload(personas.tenant_a, shipment).stalled


def test_a_missed_promised_date_marks_delayed_once(personas, capture, milestones_handed):
    shipment = make_shipment(personas.tenant_a, status="in_transit", last_event_at=MONDAY_NOON,
                             promised_delivery=date(2026, 3, 9))
    first = check(personas.tenant_a, datetime(2026, 3, 10, 9, tzinfo=UTC), capture)
    second = check(personas.tenant_a, datetime(2026, 3, 10, 10, tzinfo=UTC), capture)
    assert (first.delayed, first.milestones, second.delayed, second.milestones) == (1, 1, 0, 0)
    assert reload(personas.tenant_a, shipment).delayed
    assert milestones_handed == [(personas.tenant_a.slug, shipment.pk, "delayed")]


def test_lateness_uses_the_tenants_date(personas, capture):
    # 23:00 UTC on the 9th is already the 10th in Berlin: the date of the 9th has passed.
    personas.tenant_a.timezone = "Europe/Berlin"
    personas.tenant_a.save()
    shipment = make_shipment(personas.tenant_a, status="in_transit", last_event_at=MONDAY_NOON,
                             promised_delivery=date(2026, 3, 9))
    check(personas.tenant_a, datetime(2026, 3, 9, 23, 30, tzinfo=UTC), capture)
    assert reload(personas.tenant_a, shipment).delayed


def test_a_delivered_shipment_is_never_delayed(personas, capture):
    shipment = make_shipment(personas.tenant_a, status="in_transit", last_event_at=MONDAY_NOON,
                             promised_delivery=date(2026, 3, 9))
    check(personas.tenant_a, datetime(2026, 3, 10, 9, tzinfo=UTC), capture)
    scan(personas.tenant_a, shipment, "delivered", datetime(2026, 3, 10, 10, tzinfo=UTC))
    assert not reload(personas.tenant_a, shipment).delayed
    result = check(personas.tenant_a, datetime(2026, 3, 12, 9, tzinfo=UTC), capture)
    assert result.scanned == 0  # finished shipments are not even read
    assert milestones(personas.tenant_a, shipment) == ["delayed", "delivered", "shipped"]


def test_a_later_carrier_estimate_clears_delayed(personas, capture):
    shipment = make_shipment(personas.tenant_a, status="in_transit", last_event_at=MONDAY_NOON,
                             carrier_estimated_delivery=date(2026, 3, 9))
    check(personas.tenant_a, datetime(2026, 3, 10, 9, tzinfo=UTC), capture)
    scan(personas.tenant_a, shipment, "in_transit", datetime(2026, 3, 10, 10, tzinfo=UTC),
         estimated_delivery=date(2026, 3, 12))
    result = check(personas.tenant_a, datetime(2026, 3, 10, 11, tzinfo=UTC), capture)
    assert result.undelayed == 1
    assert not reload(personas.tenant_a, shipment).delayed


def test_a_tenant_that_turned_delay_detection_off_gets_no_delayed(personas, capture):
    with tenant_scope(personas.tenant_a):
        silence.tracking_settings_update(personas.tenant_a, detect_delays=False)
    shipment = make_shipment(personas.tenant_a, status="in_transit", last_event_at=MONDAY_NOON,
                             promised_delivery=date(2026, 3, 9))
    check(personas.tenant_a, datetime(2026, 3, 10, 9, tzinfo=UTC), capture)
    assert not reload(personas.tenant_a, shipment).delayed
    assert milestones(personas.tenant_a, shipment) == []


def test_the_silence_check_of_one_tenant_never_touches_anothers_shipments(personas, capture):
    alices = make_shipment(personas.tenant_a, "1ZALPHA")
    carols = make_shipment(personas.tenant_b, "1ZBETA")
    result = check(personas.tenant_a, WEDNESDAY_NOON, capture)
    assert result.scanned == 1
    assert reload(personas.tenant_a, alices).stalled
    assert not reload(personas.tenant_b, carols).stalled
    assert milestones(personas.tenant_b, carols) == []


def test_checking_a_store_inside_another_stores_scope_is_refused(personas, capture):
    make_shipment(personas.tenant_b, "1ZBETA")
    with tenant_scope(personas.tenant_a), pytest.raises(TenantNotSetError):
        silence.shipments_check_silence(personas.tenant_b, now=WEDNESDAY_NOON)
    with tenant_scope(personas.tenant_b):
        assert not Shipment.objects.get().stalled


def test_shipments_are_checked_in_batches_with_a_fixed_number_of_queries(
        personas, capture, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(silence, "BATCH_SIZE", 10)
    for n in range(25):
        make_shipment(personas.tenant_a, f"1Z{n:03}")
    # Settings once; per batch: savepoint pair, lock, milestones already recorded, flag
    # update, insert, the stale pages' tokens (in the scope; forgotten after commit).
    # Announcing is the outbox task's work, after commit.
    with capture(execute=False), tenant_scope(personas.tenant_a), \
            django_assert_max_num_queries(1 + 3 * 7):
        result = silence.shipments_check_silence(personas.tenant_a, now=WEDNESDAY_NOON)
    assert (result.scanned, result.stalled, result.milestones) == (25, 25, 25)


def test_the_periodic_task_checks_every_active_tenant(personas):
    old = datetime.now(UTC) - timedelta(days=30)
    alices = make_shipment(personas.tenant_a, "1ZALPHA", created_at=old)
    carols = make_shipment(personas.tenant_b, "1ZBETA", created_at=old)
    assert silence_check_all() >= 2  # one task per active tenant, run eagerly in tests
    assert reload(personas.tenant_a, alices).stalled
    assert reload(personas.tenant_b, carols).stalled


def test_the_silence_check_runs_every_quarter_hour_on_the_ingest_queue():
    entry = celery_app.conf.beat_schedule["silence-check"]
    assert entry["task"] == "tracking.tasks.silence_check_all"
    assert entry["schedule"] == 15 * 60
    assert entry["options"]["queue"] == "ingest"
