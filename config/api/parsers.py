"""A JSON parser that refuses bodies past `API_MAX_BODY_BYTES` before reading them whole, and
reads them with the one loader of untrusted JSON (config/untrusted.py).

DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not apply.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config.errors import PayloadTooLarge
from config.untrusted import JsonError, digits_int, json_parse


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = digits_int(request.META.get("CONTENT_LENGTH")) if request is not None else None
        if declared is not None and declared > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.",
                                  details={"max_bytes": limit})
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.",
                                  details={"max_bytes": limit})
        try:
            return json_parse(raw, what="The request body")
        except JsonError as exc:
            raise ParseError(exc.message) from None
