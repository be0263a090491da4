"""The carrier webhook path end to end: raw body stored first, verified as EasyPost signs,
events stored once, applied in event-time order, milestones once, nothing lost."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.inbound import inbound_replay
from tenants.models import InboundWebhook
from tenants.rls import cross_tenant
from tracking import services
from tracking.carriers.signatures import easypost_signature
from tracking.models import Shipment, ShipmentMilestone, TrackingEvent

SECRET = "whsec-alpha"
URL = "/webhooks/easypost/alpha/"


def tracker_body(number: str, details: list[tuple[str, str]], *, event_id: str = "evt_1",
                 description: str = "tracker.updated") -> bytes:
    """An EasyPost Event around a Tracker with (status, ISO time) scans, in the given order."""
    return json.dumps({
        "id": event_id, "object": "Event", "description": description, "mode": "test",
        "result": {
            "id": f"trk_{number}", "object": "Tracker", "tracking_code": number, "carrier": "USPS",
            "status": details[-1][0] if details else "unknown", "est_delivery_date": None,
            "tracking_details": [
                {"object": "TrackingDetail", "message": f"{status} scan", "status": status,
                 "status_detail": None, "datetime": when, "source": "USPS",
                 "tracking_location": {"city": "BROOKLYN", "state": "NY", "country": "US"}}
                for status, when in details],
        },
    }).encode()


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST a body as EasyPost would, then run what was queued on commit (the test runs in a
    transaction that never commits, so the on-commit fast path is run by hand)."""

    def send(body: bytes, secret: str | None = SECRET, url: str = URL):
        headers = {"HTTP_X_HMAC_SIGNATURE": easypost_signature(body, secret)} if secret else {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.generic("POST", url, body, content_type="application/json", **headers)

    return send


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def alpha(personas):
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": SECRET})
    return personas.tenant_a


def rows(model, tenant, **filters):
    with tenant_scope(tenant):
        return list(model.objects.filter(**filters))


@pytest.mark.django_db
def test_a_signed_update_is_stored_applied_and_reaches_its_milestones(post, alpha, committed):
    with tenant_scope(alpha), committed():
        shipment = services.shipment_create(alpha, carrier="usps", tracking_number="9400100")
    body = tracker_body("9400100", [("pre_transit", "2026-11-01T08:00:00Z"),
                                    ("in_transit", "2026-11-01T18:00:00Z"),
                                    ("out_for_delivery", "2026-11-02T07:00:00Z")])
    response = post(body)
    assert response.status_code == 202
    inbound = rows(InboundWebhook, alpha)[0]
    assert bytes(inbound.body) == body
    assert inbound.status == InboundWebhook.Status.PROCESSED
    assert inbound.events_created == 3
    shipment = rows(Shipment, alpha, pk=shipment.pk)[0]
    assert shipment.status == "out_for_delivery"
    assert shipment.shipped_at.isoformat() == "2026-11-01T18:00:00+00:00"
    milestones = sorted(m.milestone for m in rows(ShipmentMilestone, alpha))
    assert milestones == ["in_transit", "out_for_delivery", "shipped"]


@pytest.mark.django_db
def test_a_duplicate_delivery_creates_nothing_twice(post, alpha):
    body = tracker_body("9400101", [("in_transit", "2026-11-01T18:00:00Z")])
    assert post(body).status_code == 202
    assert post(body).status_code == 202
    assert len(rows(TrackingEvent, alpha)) == 1
    statuses = sorted(i.status for i in rows(InboundWebhook, alpha))
    assert statuses == ["duplicate", "processed"]


@pytest.mark.django_db
def test_a_late_in_transit_never_undoes_delivered_but_is_still_stored(post, alpha, committed):
    with tenant_scope(alpha), committed():
        shipment = services.shipment_create(alpha, carrier="USPS", tracking_number="9400102")
    post(tracker_body("9400102", [("delivered", "2026-11-03T12:00:00Z")], event_id="e1"))
    post(tracker_body("9400102", [("in_transit", "2026-11-01T12:00:00Z"),
                                          ("in_transit", "2026-11-03T15:00:00Z")], event_id="e2"))
    shipment = rows(Shipment, alpha, pk=shipment.pk)[0]
    assert shipment.status == "delivered"
    assert len(rows(TrackingEvent, alpha, shipment=shipment)) == 3
    delivered = rows(ShipmentMilestone, alpha, milestone="delivered")
    assert len(delivered) == 1


@pytest.mark.django_db
def test_events_for_an_unknown_parcel_wait_and_attach_when_it_appears(post, alpha, committed):
    post(tracker_body("9400103", [("in_transit", "2026-11-01T18:00:00Z")]))
    waiting = rows(TrackingEvent, alpha, tracking_number="9400103")
    assert len(waiting) == 1 and waiting[0].shipment_id is None
    with tenant_scope(alpha), committed():
        shipment = services.shipment_create(alpha, carrier="USPS", tracking_number="9400103")
    assert shipment.status == "in_transit"
    assert rows(TrackingEvent, alpha, tracking_number="9400103")[0].shipment_id == shipment.pk


@pytest.mark.django_db
def test_a_wrong_signature_is_401_and_the_body_is_kept(post, alpha):
    body = tracker_body("9400104", [("in_transit", "2026-11-01T18:00:00Z")])
    response = post(body, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    inbound = rows(InboundWebhook, alpha)[0]
    assert inbound.status == "rejected" and bytes(inbound.body) == body
    assert rows(TrackingEvent, alpha) == []


@pytest.mark.django_db
def test_a_missing_signature_is_401(post, alpha):
    assert post(b"{}", secret=None).status_code == 401


@pytest.mark.django_db
def test_without_a_configured_secret_everything_is_refused_and_kept(post, personas):
    response = post(tracker_body("9400105", [("in_transit", "2026-11-01T18:00:00Z")]))
    assert response.status_code == 401
    assert "No webhook secret" in response.json()["error"]["message"]
    assert len(rows(InboundWebhook, personas.tenant_a)) == 1


@pytest.mark.django_db
def test_a_signed_but_unparseable_body_is_400_and_kept(post, alpha):
    response = post(b'{"not": "an easypost event"')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"
    assert rows(InboundWebhook, alpha)[0].status == "invalid"


@pytest.mark.django_db
def test_kinds_we_do_not_process_are_204(post, alpha):
    body = tracker_body("9400106", [], description="batch.updated")
    assert post(body).status_code == 204
    assert rows(InboundWebhook, alpha)[0].status == "ignored"


@pytest.mark.django_db
@override_settings(WEBHOOK_MAX_BODY_BYTES=200)
def test_an_oversized_body_is_413_and_what_arrived_is_kept(post, alpha):
    body = tracker_body("9400107", [("in_transit", "2026-11-01T18:00:00Z")])
    assert post(body).status_code == 413
    inbound = rows(InboundWebhook, alpha)[0]
    assert inbound.body_truncated and len(bytes(inbound.body)) == 200


@pytest.mark.django_db
def test_an_unknown_store_is_404(post, alpha):
    body = tracker_body("9400108", [("in_transit", "2026-11-01T18:00:00Z")])
    assert post(body, url="/webhooks/easypost/no-such-store/").status_code == 404


@pytest.mark.django_db
def test_another_tenants_secret_does_not_open_alphas_webhook(post, alpha, personas):
    with tenant_scope(personas.tenant_b):
        tenant_services.credential_set(personas.tenant_b, "easypost", {"webhook_secret": "beta-secret"})
    body = tracker_body("9400109", [("in_transit", "2026-11-01T18:00:00Z")])
    assert post(body, secret="beta-secret").status_code == 401


@pytest.mark.django_db
def test_a_rejected_body_can_be_replayed_once_the_secret_is_fixed(post, personas, committed):
    body = tracker_body("9400110", [("in_transit", "2026-11-01T18:00:00Z")])
    post(body)
    inbound = rows(InboundWebhook, personas.tenant_a)[0]
    assert inbound.status == "rejected"
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, "easypost", {"webhook_secret": SECRET})
    with tenant_scope(personas.tenant_a), committed():
        receipt = inbound_replay(personas.tenant_a, inbound.pk)
    assert receipt.status == "queued"
    assert rows(InboundWebhook, personas.tenant_a)[0].status == "processed"
    assert len(rows(TrackingEvent, personas.tenant_a)) == 1


@pytest.mark.django_db
def test_each_milestone_is_announced_once(post, alpha, committed, milestones_handed):
    with tenant_scope(alpha):
        services.shipment_create(alpha, carrier="USPS", tracking_number="9400111")
    post(tracker_body("9400111", [("in_transit", "2026-11-01T18:00:00Z")], event_id="a"))
    post(tracker_body("9400111", [("in_transit", "2026-11-01T18:00:00Z"),
                                  ("delivered", "2026-11-02T18:00:00Z")], event_id="b"))
    heard = [(slug, milestone) for slug, _, milestone in milestones_handed]
    assert sorted(heard) == [("alpha", "delivered"), ("alpha", "in_transit"), ("alpha", "shipped")]
    assert all(m.announced_at for m in rows(ShipmentMilestone, alpha))


@pytest.mark.django_db
def test_a_delivery_accepted_while_the_broker_is_down_is_processed_by_the_sweep(
        post, alpha, monkeypatch):
    from kombu.exceptions import OperationalError

    from tracking import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(tasks.inbound_drain, "apply_async", broker_down)
        response = post(tracker_body("9400120", [("in_transit", "2026-11-01T18:00:00Z")]))
    assert response.status_code == 202
    inbound = rows(InboundWebhook, alpha)[0]
    assert inbound.status == "queued"

    with cross_tenant("a test reads across stores"):
        InboundWebhook.objects.unscoped(reason="test").filter(pk=inbound.pk).update(
            received_at=inbound.received_at - tasks.SWEEP_AFTER)
    assert tasks.tracking_sweep() >= 1
    assert rows(InboundWebhook, alpha)[0].status == "processed"
    assert len(rows(TrackingEvent, alpha)) == 1


@pytest.mark.django_db
def test_an_unknown_source_is_a_clear_404_and_the_body_is_kept(client, alpha):
    response = client.post("/webhooks/fedex/alpha/", b'{"x": 1}', content_type="application/json")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_source" and "easypost" in error["details"]["known"]
    inbound = rows(InboundWebhook, alpha)[0]
    assert inbound.source == "fedex" and inbound.status == "invalid"
    assert bytes(inbound.body) == b'{"x": 1}'


@pytest.mark.django_db
def test_replaying_a_body_of_an_unknown_source_says_so(client, alpha):
    client.post("/webhooks/fedex/alpha/", b"{}", content_type="application/json")
    inbound = rows(InboundWebhook, alpha)[0]
    with tenant_scope(alpha):
        receipt = inbound_replay(alpha, inbound.pk)
    assert receipt.status == "invalid" and "fedex" in receipt.message
