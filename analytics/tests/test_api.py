"""GET /api/v1/analytics/kpis/: every KPI under its documented name, the previous period beside
it, and a clear 400 for every bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.kpis import KPIS
from analytics.rollups import rollups_update
from analytics.selectors import tenant_today
from tenants.context import tenant_scope

from .activity import callback, send

pytestmark = pytest.mark.django_db
URL = "/api/v1/analytics/kpis/"


@pytest.fixture
def alice_api(api_client, personas):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    return api_client


def sent_days_ago(tenant, days: int, *, delivered: bool = True):
    from django.utils import timezone

    message = send(tenant, at=timezone.now() - timedelta(days=days))
    if delivered:
        callback(tenant, message, "delivered", at=timezone.now())
    return message


def test_it_returns_every_kpi_with_the_previous_period(alice_api, personas):
    tenant = personas.tenant_a
    sent_days_ago(tenant, 1)
    sent_days_ago(tenant, 2)
    sent_days_ago(tenant, 9)
    with tenant_scope(tenant):
        rollups_update(tenant)
    today = tenant_today(tenant)

    response = alice_api.get(URL, {"from": today - timedelta(days=6), "to": today})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body["kpis"]) == {kpi.name for kpi in KPIS}
    assert body["kpis"]["emails_sent"] == {"value": 2, "previous": 1, "change": 1.0}
    assert body["kpis"]["open_rate"] == {"value": 0.0, "previous": 0.0, "change": None}
    assert body["kpis"]["on_time_rate"] == {"value": None, "previous": None, "change": None}
    assert body["previous_period"] == {"first": str(today - timedelta(days=13)),
                                       "last": str(today - timedelta(days=7))}
    assert body["tables"]["messages_by_milestone"]["rows"][0][:3] == ["email", "shipped", 2]


def test_filters_narrow_the_figures(alice_api, personas):
    tenant = personas.tenant_a
    sent_days_ago(tenant, 1)
    with tenant_scope(tenant):
        rollups_update(tenant)
    today = tenant_today(tenant)

    sms = alice_api.get(URL, {"from": today - timedelta(days=6), "to": today, "channel": "sms"})

    assert sms.json()["kpis"]["emails_sent"]["value"] == 0


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),  # inverted
    ({"from": "2020-01-01", "to": "2026-03-01"}, "to"),  # more than two years
    ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),  # no such day
    ({"from": "yesterday", "to": "2026-03-01"}, "from"),
    ({"to": "2026-03-01"}, "from"),  # missing
    ({"from": "2026-03-01", "to": "2026-03-02", "chanel": "sms"}, "chanel"),  # unknown filter
    ({"from": "2026-03-01", "to": "2026-03-02", "channel": "fax"}, "channel"),
    ({"from": "2026-03-01", "to": "2026-03-02", "journey": "x"}, "journey"),
    ({"from": "2026-03-01", "to": "2026-03-02", "locale": "'; drop"}, "locale"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),  # no period before it
    ({"from": "2026-01-01", "to": "9999-12-31"}, "to"),
])
def test_bad_input_is_a_clear_400(alice_api, query, field):
    response = alice_api.get(URL, query)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]


def test_it_needs_a_key(api_client):
    assert api_client.get(URL, {"from": "2026-03-01", "to": "2026-03-02"}).status_code == 401


def test_carols_key_never_sees_alices_figures(api_client, personas):
    sent_days_ago(personas.tenant_a, 1)
    for tenant in (personas.tenant_a, personas.tenant_b):
        with tenant_scope(tenant):
            rollups_update(tenant)
    today = tenant_today(personas.tenant_b)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.carol_key}")

    body = api_client.get(URL, {"from": today - timedelta(days=6), "to": today}).json()

    assert body["kpis"]["emails_sent"]["value"] == 0
    assert body["tables"]["messages_by_milestone"]["rows"] == []
