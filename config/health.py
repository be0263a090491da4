"""/healthz: liveness and readiness in one JSON answer (503 when a dependency is down)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        detail, ok = f"{type(exc).__name__}: {exc}", False
    result = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if detail:
        result["detail"] = detail
    return result


def check_database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_broker() -> str | None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.HEALTHZ_BROKER_TIMEOUT)
    return conn.transport_cls if isinstance(conn.transport_cls, str) else "broker"


@never_cache
def healthz(request):
    checks = {"database": _timed(check_database), "broker": _timed(check_broker)}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks},
                        status=200 if healthy else 503)
