"""Shippo `track_updated` webhooks (wire-formats.md §1.3).

    {event: "track_updated", test, data: Track {carrier, tracking_number, eta, servicelevel,
     metadata, transaction, tracking_status: {object_id, status, substatus {code}, status_date,
     status_details, location}, tracking_history: [same shape, oldest first]}}

Shippo signs nothing by default: the webhook URL carries our `?token=`, compared in constant
time with the tenant's `webhook_token`. If the tenant also stores `webhook_hmac_secret` (Shippo
enables HMAC on request), `Shippo-Auth-Signature` must verify too. Deliveries are not idempotent
and may arrive out of order: each status's `object_id` is its dedup key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracking.carriers.base import Adapter, NormalizedEvent, NormalizedUpdate, PayloadError
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
from tracking.carriers.shippo.mapping import map_status
from tracking.carriers.signatures import verify_shippo_hmac, verify_shippo_token


class ShippoAdapter(Adapter):
    name = "shippo"
    secret_field_names = ("webhook_token",)

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str],
               secret_fields: dict[str, str]) -> bool:
        if not verify_shippo_token(query.get("token"), secret_fields.get("webhook_token", "")):
            return False
        hmac_secret = secret_fields.get("webhook_hmac_secret")
        if not hmac_secret:
            return True
        return verify_shippo_hmac(raw_body, get_header(headers, "Shippo-Auth-Signature"), hmac_secret)

    def parse(self, raw_body: bytes) -> list[NormalizedUpdate]:
        body = load_json_object(raw_body, "Shippo")
        kind = require_text(body, "event", "body")
        if kind != "track_updated":
            # transaction_created, batch_purchased…: label events, not tracking.
            logger.info("Ignored Shippo event %r", kind)
            return []
        data = require_object(body, "data", "body")
        tracking_number = require_text(data, "tracking_number", "data")
        carrier = carrier_code(data.get("carrier"))
        statuses = [(f"data.tracking_history[{i}]", item)
                    for i, item in enumerate(optional_list(data, "tracking_history", "data"))]
        current = data.get("tracking_status")
        if current is not None:
            statuses.append(("data.tracking_status", current))
        events = [self._event(item, where, tracking_number, carrier) for where, item in statuses]
        code, subcode = _codes(current)
        current_status, current_cause = map_status(code, subcode) if code else (None, None)
        servicelevel = as_object(data.get("servicelevel"))
        return [NormalizedUpdate(
            source=self.name,
            tracking_number=tracking_number,
            carrier=carrier,
            service=text_or_none(servicelevel.get("name")) or text_or_none(servicelevel.get("token")),
            estimated_delivery=parse_date(data.get("eta")),
            # The current status usually repeats the last history entry: same object_id, one event.
            events=oldest_first(e for e in events if e is not None),
            provider_object_id=text_or_none(data.get("transaction")),
            status=current_status,
            exception_cause=current_cause,
            order_reference=text_or_none(data.get("metadata")),
            test_mode=body.get("test") is True,
        )]

    def _event(self, item: Any, where: str, tracking_number: str,
               carrier: str) -> NormalizedEvent | None:
        if not isinstance(item, dict):
            raise PayloadError(f"{where} must be an object.")
        occurred_at = parse_timestamp(item.get("status_date"))
        if occurred_at is None:
            # UNKNOWN statuses often have no date; the update's summary status still counts.
            logger.info("Shippo %s of %s has no status_date: not an event", where, tracking_number)
            return None
        code, subcode = _codes(item)
        code = code or "UNKNOWN"
        status, cause = map_status(code, subcode)
        message = text_or_none(item.get("status_details")) or ""
        object_id = text_or_none(item.get("object_id"))
        return NormalizedEvent(
            tracking_number=tracking_number,
            carrier=carrier,
            status=status,
            source_code=code,
            source_subcode=subcode,
            message=message,
            occurred_at=occurred_at,
            location=shape_location(item.get("location")),
            exception_cause=cause,
            estimated_delivery=None,
            dedup_key=f"shippo:{object_id}" if object_id else content_dedup_key(
                tracking_number, occurred_at, code, subcode, message),
            raw=item,
        )


def _codes(item: object) -> tuple[str | None, str | None]:
    """The status and substatus code of a Shippo TrackingStatus object."""
    fields = as_object(item)
    return text_or_none(fields.get("status")), text_or_none(as_object(fields.get("substatus")).get("code"))


adapter = ShippoAdapter()
