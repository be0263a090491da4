"""Structured logs: one JSON object per line, carrying the request id and the tenant.

The request id comes from an incoming `X-Request-ID` header (when it looks sane) or is
generated, and is echoed on the response. The tenant is set by the tenant scope
(`tenants.context`), so worker logs carry it too.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.core.signals import request_finished

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
tenant_slug_var: ContextVar[str] = ContextVar("log_tenant", default="-")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant = tenant_slug_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
            "tenant": getattr(record, "tenant", tenant_slug_var.get()),
        }
        # Anything passed with `extra=` rides along as its own key.
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in payload and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class RequestIdMiddleware:
    header = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(self.header, "")
        request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Cleared when the request finishes (below), not on the way out of this middleware:
        # Django logs 4xx/5xx responses after the middleware chain returns, and those lines
        # must carry the id too.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _clear_request_id(**kwargs) -> None:
    request_id_var.set("-")


request_finished.connect(_clear_request_id, dispatch_uid="doorstep-clear-request-id")
