"""Tracking settings: the API (GET/PATCH /api/v1/tracking-settings/) and Settings → Tracking."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.permissions import ApiKeyScope
from tracking import silence

pytestmark = pytest.mark.django_db
API = "/api/v1/tracking-settings/"
PAGE = reverse("tracking-settings:tracking")


def auth(client, key):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


# --- API -------------------------------------------------------------------------------------

def test_a_tenant_that_changed_nothing_reads_the_defaults(api_client, personas):
    body = auth(api_client, personas.alice_key).get(API).json()
    assert body == {"label_silence_hours": 48, "transit_silence_hours": 72,
                    "carrier_silence_hours": {}, "pickup_wait_days": 5, "detect_delays": True,
                    "updated_at": None}


def test_the_thresholds_can_be_changed(api_client, personas):
    auth(api_client, personas.alice_key)
    response = api_client.patch(API, {"transit_silence_hours": 96, "detect_delays": False,
                                      "carrier_silence_hours": {"usps": 120}}, format="json")
    assert response.status_code == 200, response.json()
    body = api_client.get(API).json()
    assert (body["transit_silence_hours"], body["detect_delays"]) == (96, False)
    assert body["carrier_silence_hours"] == {"USPS": 120}
    assert body["label_silence_hours"] == 48
    assert body["updated_at"]


@pytest.mark.parametrize(("body", "field"), [
    ({"label_silence_hours": 0}, "label_silence_hours"),
    ({"label_silence_hours": 721}, "label_silence_hours"),
    ({"transit_silence_hours": "soon"}, "transit_silence_hours"),
    ({"pickup_wait_days": 0}, "pickup_wait_days"),
    ({"pickup_wait_days": 31}, "pickup_wait_days"),
    ({"detect_delays": "perhaps"}, "detect_delays"),
    ({"carrier_silence_hours": {"USPS": 0}}, "carrier_silence_hours"),
    ({"carrier_silence_hours": {"usps": 72, "USPS": 96}}, "carrier_silence_hours"),
    ({"carrier_silence_hours": ["USPS"]}, "carrier_silence_hours"),
    ({"updated_at": "2026-01-01T00:00:00Z"}, "updated_at"),
    ({"label_silence": 10}, "label_silence"),
])
def test_bad_input_is_named_per_field(api_client, personas, body, field):
    response = auth(api_client, personas.alice_key).patch(API, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]) == [field]


def test_a_read_key_reads_but_cannot_patch(api_client, personas):
    with tenant_scope(personas.tenant_a):
        _, read_key = tenant_services.api_key_create(personas.tenant_a, name="BI",
                                                     scope=ApiKeyScope.READ)
    auth(api_client, read_key)
    assert api_client.get(API).status_code == 200
    response = api_client.patch(API, {"label_silence_hours": 24}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    with tenant_scope(personas.tenant_a):
        assert silence.tracking_settings_get(personas.tenant_a).label_silence_hours == 48


def test_one_tenants_settings_are_not_anothers(api_client, personas):
    auth(api_client, personas.alice_key).patch(API, {"label_silence_hours": 24}, format="json")
    assert auth(api_client, personas.carol_key).get(API).json()["label_silence_hours"] == 48
    auth(api_client, personas.carol_key).patch(API, {"label_silence_hours": 12}, format="json")
    with tenant_scope(personas.tenant_a):
        assert silence.tracking_settings_get(personas.tenant_a).label_silence_hours == 24


def test_reading_the_settings_stores_nothing(api_client, personas):
    auth(api_client, personas.alice_key).get(API)
    with tenant_scope(personas.tenant_a):
        assert silence.tracking_settings_get(personas.tenant_a).pk is None


# --- dashboard ---------------------------------------------------------------------------------

FORM = {"label_silence_hours": "24", "transit_silence_hours": "96",
        "carrier_silence_hours": "usps = 120\n\nDHL Express: 48", "pickup_wait_days": "7",
        "detect_delays": "on"}


def test_an_owner_changes_the_thresholds_in_the_dashboard(client, personas):
    client.force_login(personas.alice)
    response = client.post(PAGE, FORM)
    assert response.status_code == 302
    with tenant_scope(personas.tenant_a):
        row = silence.tracking_settings_get(personas.tenant_a)
    assert (row.label_silence_hours, row.transit_silence_hours, row.pickup_wait_days,
            row.detect_delays) == (24, 96, 7, True)
    assert row.carrier_silence_hours == {"USPS": 120, "DHL": 48}
    body = client.get(PAGE).content.decode()
    assert "Tracking settings saved." in body
    assert "DHL = 48\nUSPS = 120" in body


def test_the_page_explains_the_thresholds_in_retailer_words(client, personas):
    client.force_login(personas.alice)
    body = client.get(PAGE).content.decode()
    assert "Working hours after you create a label" in body
    assert "a quiet weekend is not news" in body
    assert 'aria-current="page">Tracking</a>' in body


def test_a_badly_written_carrier_line_is_shown_next_to_the_field(client, personas):
    client.force_login(personas.alice)
    response = client.post(PAGE, {**FORM, "carrier_silence_hours": "USPS soon"})
    assert response.status_code == 200
    assert "Line 1" in response.context["form"].errors["carrier_silence_hours"][0]
    with tenant_scope(personas.tenant_a):
        assert silence.tracking_settings_get(personas.tenant_a).pk is None


def test_an_out_of_range_number_is_refused(client, personas):
    client.force_login(personas.alice)
    response = client.post(PAGE, {**FORM, "label_silence_hours": "0"})
    assert response.status_code == 200
    assert "label_silence_hours" in response.context["form"].errors


def test_an_agent_sees_the_thresholds_but_cannot_change_them(client, personas):
    client.force_login(personas.bob)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "Save changes" not in response.content.decode()
    assert client.post(PAGE, FORM).status_code == 403
    with tenant_scope(personas.tenant_a):
        assert silence.tracking_settings_get(personas.tenant_a).pk is None


def test_carol_edits_her_own_stores_thresholds_only(client, personas):
    client.force_login(personas.carol)
    client.post(PAGE, FORM)
    with tenant_scope(personas.tenant_b):
        assert silence.tracking_settings_get(personas.tenant_b).label_silence_hours == 24
    with tenant_scope(personas.tenant_a):
        assert silence.tracking_settings_get(personas.tenant_a).pk is None
