"""The rollups kept up incrementally equal a direct count over the raw rows: after a generated
month of activity (late and duplicate callbacks, machine opens, time-zone edges), updated in
several runs in between, the reconciliation finds zero differences."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from analytics.models import MessageDay
from analytics.rollups import maintain, rollups_differences, rollups_update
from messaging.models import Message
from tenants.context import tenant_scope
from tenants.models import Tenant

from .activity import callback, milestone, rate, scan, send, shipment, utc, views

pytestmark = pytest.mark.django_db
MONTH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture(autouse=True)
def settled_at_once(monkeypatch):
    """Rows count as settled as soon as they are written, so each run moves its cursors and
    the next one reads only what came after (the incremental path, not a reread)."""
    monkeypatch.setattr(maintain, "SETTLE", timedelta(0))


def generated_day(tenant: Tenant, rng: random.Random, day: int) -> None:
    """A few messages and parcels on one day, at hours that cross the local midnight, then
    the periodic upkeep at the end of that day (as tracking writes today's page views)."""
    for _ in range(rng.randint(1, 3)):
        at = utc(2026, 3, day, rng.choice([0, 7, 12, 22, 23]), rng.randint(0, 59))
        message = send(tenant, at=at, channel=rng.choice(["email", "email", "sms"]),
                       milestone=rng.choice(["shipped", "delivered"]),
                       locale=rng.choice(["en", "de"]))
        if rng.random() < 0.8:
            callback(tenant, message, "delivered", at=at + timedelta(minutes=1),
                     event_id=f"d-{message.pk}")
            callback(tenant, message, "delivered", at=at + timedelta(minutes=1),
                     event_id=f"d-{message.pk}")  # SendGrid's retry: stored once
        else:
            callback(tenant, message, "bounce", at=at + timedelta(minutes=2))
        if rng.random() < 0.3:
            callback(tenant, message, "open", at=at + timedelta(hours=1), machine=True)
        if rng.random() < 0.4:
            callback(tenant, message, "open", at=at + timedelta(days=rng.randint(0, 3)))
        if rng.random() < 0.2:
            callback(tenant, message, "click", at=at + timedelta(days=1))
    parcel = shipment(tenant, shipped_at=utc(2026, 3, day, 8),
                      promised=date(2026, 3, day) + timedelta(days=3),
                      carrier=rng.choice(["DHL", "UPS"]))
    scan(tenant, parcel, "in_transit", at=utc(2026, 3, day, 9),
         estimate=date(2026, 3, day) + timedelta(days=rng.randint(1, 4)))
    milestone(tenant, parcel, "shipped", at=utc(2026, 3, day, 9))
    if rng.random() < 0.7:
        delivered_at = utc(2026, 3, day, 23, 30) + timedelta(days=rng.randint(1, 5))
        milestone(tenant, parcel, "delivered", at=delivered_at)
        if rng.random() < 0.5:
            rate(tenant, parcel, rng.randint(1, 5), at=delivered_at + timedelta(hours=2))
    else:
        scan(tenant, parcel, "exception", at=utc(2026, 3, day, 15), cause="weather")
        milestone(tenant, parcel, "exception", at=utc(2026, 3, day, 15))
    views(tenant, parcel, rng.randint(1, 4), day=date(2026, 3, day))
    with tenant_scope(tenant):
        rollups_update(tenant, now=utc(2026, 3, day, 23, 50))


def test_a_generated_month_reconciles_with_zero_differences(personas):
    rng = random.Random(18)
    Tenant.objects.filter(pk=personas.tenant_a.pk).update(timezone="America/Los_Angeles")
    tenants = [Tenant.objects.get(pk=personas.tenant_a.pk), personas.tenant_b]
    for day in range(1, 32):
        for tenant in tenants:
            generated_day(tenant, rng, day)
    # Late news about the first week, after its days were rolled up.
    with tenant_scope(tenants[0]):
        early = list(Message.objects.filter(sent_at__lt=utc(2026, 3, 5)).order_by("pk")[:3])
    for message in early:
        callback(tenants[0], message, "open", at=utc(2026, 4, 2, 10))
        callback(tenants[0], message, "spamreport", at=utc(2026, 4, 2, 11))
    for tenant in tenants:
        with tenant_scope(tenant):
            rollups_update(tenant, now=utc(2026, 4, 2, 12))

    call_command("analytics_reconcile", "--from", "2026-02-25", "--to", "2026-04-10")
    with tenant_scope(tenants[0]):
        assert MessageDay.objects.filter(spam_reports__gt=0).exists()


def test_a_change_the_upkeep_cannot_see_is_reported_and_a_rebuild_fixes_it(personas):
    tenant = personas.tenant_a
    message = send(tenant, at=utc(2026, 3, 9, 12))
    with tenant_scope(tenant):
        rollups_update(tenant)
        # Written behind messaging's back: no event, so nothing tells the upkeep.
        Message.objects.filter(pk=message.pk).update(delivered_at=utc(2026, 3, 9, 13))
        differences = rollups_differences(tenant, *MONTH)

    assert [(d.table, d.column, d.rollup, d.raw) for d in differences] == [
        ("MessageDay", "delivered", 0, 1)]
    with pytest.raises(CommandError, match="1 rollup figures differ"):
        call_command("analytics_reconcile", "--from", "2026-03-01", "--to", "2026-03-31",
                     "--tenant", tenant.slug)
    call_command("analytics_rebuild", "--from", "2026-03-01", "--to", "2026-03-31",
                 "--tenant", tenant.slug)
    call_command("analytics_reconcile", "--from", "2026-03-01", "--to", "2026-03-31")


def test_commands_refuse_bad_ranges(personas):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("analytics_rebuild", "--from", "2026-13-01", "--to", "2026-03-31")
    with pytest.raises(CommandError, match="before"):
        call_command("analytics_reconcile", "--from", "2026-03-31", "--to", "2026-03-01")
    with pytest.raises(CommandError, match="No store"):
        call_command("analytics_rebuild", "--from", "2026-03-01", "--to", "2026-03-31",
                     "--tenant", "nobody")


def test_one_tenants_activity_never_reaches_anothers_rollups(personas):
    send(personas.tenant_a, at=utc(2026, 3, 9, 12))
    for tenant in (personas.tenant_a, personas.tenant_b):
        with tenant_scope(tenant):
            rollups_update(tenant)

    with tenant_scope(personas.tenant_b):
        assert not MessageDay.objects.exists()
    with tenant_scope(personas.tenant_a):
        assert MessageDay.objects.get().sent == 1
