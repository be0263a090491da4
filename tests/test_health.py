"""/healthz: 200 when the database and the broker answer, 503 naming what does not."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_it_answers_200_when_the_database_and_the_broker_are_up(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_checks_the_real_redis_broker(client, settings):
    assert settings.CELERY_BROKER_URL.startswith(("redis://", "redis+socket://"))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["ok"] is True


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_it_answers_503_naming_the_broker_when_the_broker_is_unreachable(client):
    started = time.monotonic()
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    broker = body["checks"]["broker"]
    assert broker["ok"] is False
    assert "Error" in broker["detail"] or "refused" in broker["detail"].lower()
    assert time.monotonic() - started < 10  # a dead broker must not hang the probe


def test_it_needs_no_login_and_no_tenant(client):
    response = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
