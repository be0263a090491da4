"""Queued bodies are applied by a drain, many per transaction: every body ends processed,
duplicate or failed (never lost), and a body committed while a drain runs is always seen."""

from __future__ import annotations

import pytest

from config.redis_client import redis_client
from tenants.context import tenant_scope
from tenants.inbound import inbound_replay
from tenants.models import InboundWebhook
from tracking import drain, services, tasks
from tracking.models import Shipment, ShipmentMilestone, TrackingEvent

from .test_webhook_pipeline import SECRET, URL, alpha, rows, tracker_body  # noqa: F401

__all__ = ["alpha"]


@pytest.fixture
def post_unprocessed(client):
    """POST as EasyPost would, with the on-commit fast path NOT run: the body stays queued,
    as it does while a drain is busy elsewhere or the broker is away."""
    from tracking.carriers.signatures import easypost_signature

    def send(body: bytes):
        return client.generic("POST", URL, body, content_type="application/json",
                              HTTP_X_HMAC_SIGNATURE=easypost_signature(body, SECRET))

    return send


@pytest.fixture
def published(monkeypatch):
    """The drain tasks that reached the broker: (tenant id, slot) per publish."""
    sent: list[tuple] = []
    monkeypatch.setattr(tasks.inbound_drain, "apply_async",
                        lambda args, **options: sent.append(args))
    return sent


@pytest.mark.django_db
def test_one_drain_applies_many_queued_bodies_each_with_its_own_outcome(alpha, post_unprocessed):
    with tenant_scope(alpha):
        shipment = services.shipment_create(alpha, carrier="USPS", tracking_number="9400200")
    post_unprocessed(tracker_body("9400200", [("in_transit", "2026-11-01T18:00:00Z")], event_id="a"))
    post_unprocessed(tracker_body("9400200", [("in_transit", "2026-11-01T18:00:00Z"),
                                              ("delivered", "2026-11-02T09:00:00Z")], event_id="b"))
    post_unprocessed(tracker_body("9400200", [("delivered", "2026-11-02T09:00:00Z")], event_id="b"))
    post_unprocessed(tracker_body("9400201", [("pre_transit", "2026-11-01T08:00:00Z")], event_id="c"))
    assert {i.status for i in rows(InboundWebhook, alpha)} == {"queued"}

    with tenant_scope(alpha):
        assert drain.inbound_drain_batch(alpha) == 4

    by_event = {(i.provider_event_id, i.status): i for i in rows(InboundWebhook, alpha)}
    assert sorted(by_event) == [("a", "processed"), ("b", "duplicate"), ("b", "processed"),
                                ("c", "processed")]
    assert by_event[("a", "processed")].events_created == 1
    assert by_event[("b", "processed")].events_created == 1  # its in_transit came with "a"
    assert by_event[("b", "duplicate")].events_created == 0
    assert rows(Shipment, alpha, pk=shipment.pk)[0].status == "delivered"
    assert sorted(m.milestone for m in rows(ShipmentMilestone, alpha)) == [
        "delivered", "in_transit", "shipped"]
    assert len(rows(TrackingEvent, alpha)) == 3  # 9400201's scan waits for its shipment


@pytest.mark.django_db
def test_a_body_that_cannot_be_applied_fails_alone_and_keeps_its_reason(alpha, post_unprocessed,
                                                                        monkeypatch):
    post_unprocessed(tracker_body("9400210", [("in_transit", "2026-11-01T18:00:00Z")], event_id="ok"))
    post_unprocessed(tracker_body("9400211", [("in_transit", "2026-11-01T18:00:00Z")], event_id="bad"))
    real = drain.updates_apply_many

    def apply(tenant, batches):
        if any(inbound.provider_event_id == "bad" for inbound, _ in batches):
            raise RuntimeError("database hiccup")
        return real(tenant, batches)

    monkeypatch.setattr(drain, "updates_apply_many", apply)
    with tenant_scope(alpha):
        assert drain.inbound_drain_batch(alpha) == 2

    by_event = {i.provider_event_id: i for i in rows(InboundWebhook, alpha)}
    assert by_event["ok"].status == "processed" and by_event["ok"].events_created == 1
    assert by_event["bad"].status == "failed"
    assert by_event["bad"].error == "RuntimeError: database hiccup"
    assert [e.tracking_number for e in rows(TrackingEvent, alpha)] == ["9400210"]

    monkeypatch.setattr(drain, "updates_apply_many", real)
    with tenant_scope(alpha):
        receipt = inbound_replay(alpha, by_event["bad"].pk)
        assert receipt.status == "queued"
        drain.inbound_drain_batch(alpha)
    assert rows(InboundWebhook, alpha, pk=by_event["bad"].pk)[0].status == "processed"


@pytest.mark.django_db
def test_kicks_while_a_drain_is_on_its_way_publish_nothing_more(alpha, published):
    flag = drain._flag(alpha.pk, 0)
    drain._flag_drop(flag)
    try:
        for _ in range(5):
            drain.drain_kick(alpha.pk)
        assert published == [(alpha.pk,)]
    finally:
        drain._flag_drop(flag)


@pytest.mark.django_db
def test_a_body_committed_while_the_drain_runs_is_applied_before_it_stops(alpha, post_unprocessed,
                                                                          published):
    flag = drain._flag(alpha.pk, 0)
    drain._flag_drop(flag)
    drain.drain_kick(alpha.pk)  # the drain is on its way: its flag is set
    post_unprocessed(tracker_body("9400220", [("in_transit", "2026-11-01T18:00:00Z")], event_id="x"))
    drain.drain_kick(alpha.pk)  # … so this body's kick publishes nothing
    assert len(published) == 1

    with tenant_scope(alpha):
        assert drain.inbound_drain(alpha) == 1

    assert rows(InboundWebhook, alpha)[0].status == "processed"
    assert redis_client().get(flag) is None  # cleared: the next body's kick starts a new drain
    drain.drain_kick(alpha.pk)
    assert len(published) == 2
    drain._flag_drop(flag)


@pytest.mark.django_db
def test_a_drain_that_keeps_finding_work_asks_for_one_helper(alpha, post_unprocessed, published):
    for n in range(3):
        post_unprocessed(tracker_body(f"94002{30 + n}", [("in_transit", "2026-11-01T18:00:00Z")],
                                      event_id=f"h{n}"))
    try:
        with tenant_scope(alpha):
            assert drain.inbound_drain(alpha, limit=1) == 3
        assert published == [(alpha.pk, 1)]  # slot 1: the helper
    finally:
        drain._flag_drop(drain._flag(alpha.pk, 0))
        drain._flag_drop(drain._flag(alpha.pk, 1))
    assert {i.status for i in rows(InboundWebhook, alpha)} == {"processed"}
