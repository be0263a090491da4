"""POST /api/v1/tracking-events/: stored first, validated with named fields, applied once."""

import json

import pytest

from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.models import InboundWebhook
from tenants.permissions import ApiKeyScope
from tracking import services
from tracking.models import Shipment, TrackingEvent

URL = "/api/v1/tracking-events/"


def event(**overrides):
    return {"tracking_number": "1Z0001", "carrier": "UPS", "status": "in_transit",
            "occurred_at": "2026-11-20T09:58:00+01:00", "message": "Departed facility",
            "event_id": "scan-1", **overrides}


@pytest.fixture
def push(api_client, personas, django_capture_on_commit_callbacks):
    def send(payload, key=None, raw=None):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key or personas.alice_key}")
        body = raw if raw is not None else json.dumps(payload)
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.generic("POST", URL, body, content_type="application/json")
    return send


@pytest.mark.django_db
def test_a_batch_is_accepted_stored_and_applied(push, personas, django_capture_on_commit_callbacks):
    with tenant_scope(personas.tenant_a), django_capture_on_commit_callbacks(execute=True):
        services.shipment_create(personas.tenant_a, carrier="UPS", tracking_number="1Z0001")
    response = push([event(), event(status="delivered", event_id="scan-2",
                                    occurred_at="2026-11-21T14:00:00+01:00")])
    assert response.status_code == 202
    assert response.json()["events"] == 2
    with tenant_scope(personas.tenant_a):
        assert Shipment.objects.get().status == "delivered"
        assert TrackingEvent.objects.count() == 2
        assert InboundWebhook.objects.get().status == "processed"


@pytest.mark.django_db
def test_sending_the_same_events_again_stores_them_once(push, personas):
    push([event()])
    push([event()])
    with tenant_scope(personas.tenant_a):
        assert TrackingEvent.objects.count() == 1
        assert InboundWebhook.objects.count() == 2


@pytest.mark.django_db
def test_bad_items_are_named_by_index_and_field_and_the_body_is_kept(push, personas):
    response = push([event(), event(status="teleported", occurred_at="yesterday")])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_payload"
    assert "[1].status" in error["details"] and "[1].occurred_at" in error["details"]
    with tenant_scope(personas.tenant_a):
        assert InboundWebhook.objects.get().status == "invalid"
        assert TrackingEvent.objects.count() == 0


@pytest.mark.django_db
def test_malformed_json_is_400_and_kept(push, personas):
    response = push(None, raw="[{")
    assert response.status_code == 400
    with tenant_scope(personas.tenant_a):
        assert bytes(InboundWebhook.objects.get().body) == b"[{"


@pytest.mark.django_db
def test_a_read_only_key_cannot_push_events(push, personas):
    with tenant_scope(personas.tenant_a):
        _, read_key = tenant_services.api_key_create(personas.tenant_a, name="BI", scope=ApiKeyScope.READ)
    assert push([event()], key=read_key).status_code == 403


@pytest.mark.django_db
def test_events_land_in_the_keys_tenant_only(push, personas):
    push([event()], key=personas.carol_key)
    with tenant_scope(personas.tenant_a):
        assert TrackingEvent.objects.count() == 0
    with tenant_scope(personas.tenant_b):
        assert TrackingEvent.objects.count() == 1
