"""Structured logs: one JSON object per line, with the request id and the tenant."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from config.logging import ContextFilter, JsonFormatter
from tenants.context import tenant_scope

logger = logging.getLogger("doorstep.tests.logging")


def _logging_view(request):
    logger.warning("order looked up", extra={"order_number": "#1001"})
    return HttpResponse("ok")


urlpatterns = [path("log-something/", _logging_view)]


@pytest.fixture
def json_lines():
    """The lines our logger writes, formatted as in production (JSON, context filter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


@override_settings(ROOT_URLCONF=__name__)
def test_a_request_logs_json_with_the_request_id_it_echoes(client, json_lines, db):
    response = client.get("/log-something/")

    (line,) = json_lines()
    request_id = response["X-Request-ID"]
    assert len(request_id) >= 16
    assert line["request_id"] == request_id
    assert line["message"] == "order looked up"
    assert line["level"] == "warning"
    assert line["logger"] == "doorstep.tests.logging"
    assert line["order_number"] == "#1001"  # `extra=` rides along
    assert line["tenant"] == "-"
    assert line["time"].endswith("+00:00")


@override_settings(ROOT_URLCONF=__name__)
def test_a_sane_incoming_request_id_is_kept_and_an_odd_one_replaced(client, json_lines, db):
    kept = client.get("/log-something/", HTTP_X_REQUEST_ID="lb-7f3a.42")
    replaced = client.get("/log-something/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")

    assert kept["X-Request-ID"] == "lb-7f3a.42"
    assert replaced["X-Request-ID"] != "<script>alert(1)</script>"
    assert [line["request_id"] for line in json_lines()] == ["lb-7f3a.42", replaced["X-Request-ID"]]


def test_djangos_own_error_response_lines_carry_the_request_id(client, db):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    django_request = logging.getLogger("django.request")
    django_request.addHandler(handler)
    level = django_request.level
    django_request.setLevel(logging.WARNING)  # 404s are warnings; production keeps ERROR
    try:
        response = client.get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="req-404")
    finally:
        django_request.removeHandler(handler)
        django_request.setLevel(level)
    assert response.status_code == 404
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and all(line["request_id"] == "req-404" for line in lines)


def test_the_request_id_does_not_leak_out_of_the_request(client, json_lines, db):
    client.get("/healthz")
    logger.warning("after the request")
    assert json_lines()[-1]["request_id"] == "-"


@pytest.mark.django_db
def test_a_line_logged_inside_a_tenant_scope_carries_the_tenant(personas, json_lines):
    with tenant_scope(personas.tenant_a):
        logger.warning("inside")
    logger.warning("outside")

    inside, outside = json_lines()
    assert inside["tenant"] == "alpha"
    assert outside["tenant"] == "-"


def test_exceptions_are_logged_in_the_same_line(json_lines):
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("it failed")
    (line,) = json_lines()
    assert "ValueError: boom" in line["exception"]


def test_logs_are_json_unless_text_is_asked_for():
    """Production and the demo log JSON by default; LOG_FORMAT=text is for reading by eye."""
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.LOGGING['handlers']['console']['formatter'])")
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings",
           "DOORSTEP_VAR_DIR": os.environ["DOORSTEP_VAR_DIR"]}

    default = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env,
                             capture_output=True, text=True, timeout=60)
    text = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR,
                          env={**env, "LOG_FORMAT": "text"}, capture_output=True, text=True,
                          timeout=60)

    assert default.stdout.strip() == "json", default.stderr
    assert text.stdout.strip() == "text", text.stderr
    assert settings.LOGGING["formatters"]["json"]["()"] == "config.logging.JsonFormatter"
