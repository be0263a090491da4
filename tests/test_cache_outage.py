"""Rate limits fail open when Redis is down (bench/faults.py found every API call answering
500 while Redis was stopped): the request is served, the limit not counted, and it is logged."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

UNREACHABLE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                           "LOCATION": "redis://127.0.0.1:9/0",
                           "OPTIONS": {"socket_connect_timeout": 0.2}}}


@pytest.mark.django_db
def test_the_api_answers_while_the_cache_is_down(api_client, personas, caplog):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    with override_settings(CACHES=UNREACHABLE), caplog.at_level(logging.WARNING):
        response = api_client.get("/api/v1/orders/")
    assert response.status_code == 200
    assert "rate limit not counted" in caplog.text
