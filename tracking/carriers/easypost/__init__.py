"""EasyPost tracker webhooks (wire-formats.md §1.1): an Event envelope whose `result` is the
whole Tracker, with its full `tracking_details` history on every delivery.

    Event {id: evt_…, description: "tracker.updated", result: Tracker {tracking_code, status,
           carrier, est_delivery_date, carrier_detail {service, …}, tracking_details: [ … ]}}

Signed with `X-Hmac-Signature: hmac-sha256-hex=<hex>` over the raw body, NFKD-normalised secret.
Tracking details carry no id, so each event's dedup key is a hash of its content; the Event id
identifies the delivery as a whole (NormalizedUpdate.provider_event_id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracking.carriers.base import Adapter, NormalizedEvent, NormalizedUpdate, PayloadError
from tracking.carriers.easypost.mapping import map_status
from tracking.carriers.parsing import (
    as_object,
    carrier_code,
    content_dedup_key,
    get_header,
    load_json_object,
    logger,
    oldest_first,
    optional_list,
    parse_date,
    parse_timestamp,
    require_object,
    require_text,
    shape_location,
    text_or_none,
)
from tracking.carriers.signatures import verify_easypost
from tracking.statuses import TrackingStatus

TRACKER_EVENTS = frozenset({"tracker.created", "tracker.updated"})


class EasyPostAdapter(Adapter):
    name = "easypost"
    secret_field_names = ("webhook_secret",)

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str],
               secret_fields: dict[str, str]) -> bool:
        if get_header(headers, "X-Hmac-Signature-V2") is not None:
            # The v2 string-to-sign is not documented anywhere we could read (wire-formats.md
            # §7.1): accept-and-log, verify only the legacy header.
            logger.info("EasyPost sent x-hmac-signature-v2; only X-Hmac-Signature is verified")
        return verify_easypost(raw_body, get_header(headers, "X-Hmac-Signature"),
                               secret_fields.get("webhook_secret", ""))

    def parse(self, raw_body: bytes) -> list[NormalizedUpdate]:
        body = load_json_object(raw_body, "EasyPost")
        if body.get("object") != "Event":
            raise PayloadError('The EasyPost body is not an Event: "object" must be "Event".')
        description = require_text(body, "description", "Event")
        if description not in TRACKER_EVENTS:
            logger.info("Ignored EasyPost event %r", description)
            return []
        tracker = require_object(body, "result", "Event")
        if tracker.get("object") != "Tracker":
            raise PayloadError(f'A {description} Event must carry a Tracker in "result".')
        tracking_number = require_text(tracker, "tracking_code", "result")
        carrier = carrier_code(tracker.get("carrier"))
        carrier_detail = as_object(tracker.get("carrier_detail"))
        events = [
            self._event(detail, index, tracking_number, carrier)
            for index, detail in enumerate(optional_list(tracker, "tracking_details", "result"))
        ]
        summary, detail = text_or_none(tracker.get("status")), text_or_none(tracker.get("status_detail"))
        status, cause = map_status(summary, detail) if summary else (None, None)
        return [NormalizedUpdate(
            source=self.name,
            tracking_number=tracking_number,
            carrier=carrier,
            service=text_or_none(carrier_detail.get("service")),
            # The carrier's local calendar day when given; the UTC midnight form is the same day.
            estimated_delivery=parse_date(carrier_detail.get("est_delivery_date_local"))
            or parse_date(tracker.get("est_delivery_date")),
            events=oldest_first(e for e in events if e is not None),
            provider_object_id=text_or_none(tracker.get("id")),
            status=status,
            exception_cause=cause,
            provider_event_id=text_or_none(body.get("id")),
            test_mode=body.get("mode") == "test",
        )]

    def _event(self, detail: Any, index: int, tracking_number: str,
               carrier: str) -> NormalizedEvent | None:
        if not isinstance(detail, dict):
            raise PayloadError(f"result.tracking_details[{index}] must be an object.")
        occurred_at = parse_timestamp(detail.get("datetime"))
        if occurred_at is None:
            # Without a time the event cannot be ordered; the stored body still has it.
            logger.warning("EasyPost tracking detail %d of %s has no usable datetime: skipped",
                           index, tracking_number)
            return None
        code = text_or_none(detail.get("status")) or TrackingStatus.UNKNOWN.value
        subcode = text_or_none(detail.get("status_detail"))
        status, cause = map_status(code, subcode)
        message = text_or_none(detail.get("message")) or text_or_none(detail.get("description")) or ""
        return NormalizedEvent(
            tracking_number=tracking_number,
            carrier=carrier,
            status=status,
            source_code=code,
            source_subcode=subcode,
            message=message,
            occurred_at=occurred_at,
            location=shape_location(detail.get("tracking_location")),
            exception_cause=cause,
            estimated_delivery=parse_date(detail.get("est_delivery_date")),
            dedup_key=content_dedup_key(tracking_number, occurred_at, code, subcode, message),
            raw=detail,
        )


adapter = EasyPostAdapter()
