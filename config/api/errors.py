"""Every API error, whatever raised it, leaves as `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import ApplicationError
from config.logging import request_id_var

logger = logging.getLogger("doorstep.api")

# DRF exception class → (our code, a message people can act on). Order matters: subclasses first.
_DRF_CODES: list[tuple[type[Exception], str, str | None]] = [
    (drf.ValidationError, "validation_error", "Some fields are not valid; see details."),
    (drf.ParseError, "malformed_body", None),
    (drf.AuthenticationFailed, "authentication_failed", None),
    (drf.NotAuthenticated, "not_authenticated",
     "Authenticate with the header 'Authorization: Bearer <api key>'."),
    (drf.PermissionDenied, "permission_denied", None),
    (drf.NotFound, "not_found", "Not found."),
    (drf.MethodNotAllowed, "method_not_allowed", None),
    (drf.NotAcceptable, "not_acceptable", None),
    (drf.UnsupportedMediaType, "unsupported_media_type", None),
    (drf.Throttled, "rate_limited", None),
]


def error_body(code: str, message: str, details: object | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def api_exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        # Unexpected: log with the traceback, answer in the same shape with the request id
        # so support can find the log line.
        logger.exception("unhandled API error")
        return Response(
            error_body("internal_error", "Something went wrong on our side; it has been logged.",
                       {"request_id": request_id_var.get()}),
            status=500,
        )

    code, message = "error", str(getattr(exc, "detail", exc))
    for exc_class, our_code, our_message in _DRF_CODES:
        if isinstance(exc, exc_class):
            code, message = our_code, our_message or message
            break
    details: object = {}
    if isinstance(exc, drf.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    elif isinstance(exc, drf.Throttled) and exc.wait is not None:
        details = {"retry_after_seconds": int(exc.wait + 0.999)}
        message = f"Rate limit reached; retry in {details['retry_after_seconds']} s."
    response.data = error_body(code, message, details)
    return response


def json_not_found(request, exception=None) -> JsonResponse:
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}."), status=404)


def json_server_error(request) -> JsonResponse:
    return JsonResponse(
        error_body("internal_error", "Something went wrong on our side; it has been logged.",
                   {"request_id": request_id_var.get()}),
        status=500,
    )
