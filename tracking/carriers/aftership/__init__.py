"""AfterShip Tracking webhooks (wire-formats.md §1.2): the whole Tracking in `msg`, with every
checkpoint again on each delivery.

    {event: "tracking_update", event_id: <uuid>, msg: Tracking {id, tracking_number, slug, tag,
     subtag, expected_delivery | latest_estimated_delivery | courier_estimated_delivery_date,
     checkpoints: [{checkpoint_time, tag, subtag, message, city, state, zip | postal_code,
                    country_iso3 | country_region, hash?}]}, ts}

Signed with `aftership-hmac-sha256: base64(HMAC-SHA256(secret, raw body))`. Field names move
between webhook versions (zip → postal_code in 2026-01, country_iso3 → country_region): both
spellings are read. A checkpoint's `hash` (2026-07+) is its id; older ones are hashed by content.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from tracking.carriers.aftership.mapping import map_status
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
from tracking.carriers.signatures import verify_aftership
from tracking.statuses import TrackingStatus

# edd_revise carries the same Tracking with a revised estimate: worth reading for "delayed".
# tracking_pending_time (and kinds AfterShip may add) are acknowledged and ignored.
PROCESSED_EVENTS = frozenset({"tracking_update", "edd_revise"})
_LOCATION_ALIASES = {"country_iso3": "country", "country_region": "country"}


class AfterShipAdapter(Adapter):
    name = "aftership"
    secret_field_names = ("webhook_secret",)

    def verify(self, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str],
               secret_fields: dict[str, str]) -> bool:
        return verify_aftership(raw_body, get_header(headers, "aftership-hmac-sha256"),
                                secret_fields.get("webhook_secret", ""))

    def parse(self, raw_body: bytes) -> list[NormalizedUpdate]:
        body = load_json_object(raw_body, "AfterShip")
        kind = require_text(body, "event", "body")
        if kind not in PROCESSED_EVENTS:
            logger.info("Ignored AfterShip event %r", kind)
            return []
        msg = require_object(body, "msg", "body")
        tracking_number = require_text(msg, "tracking_number", "msg")
        carrier = carrier_code(msg.get("slug"))
        events = [
            self._event(checkpoint, index, tracking_number, carrier)
            for index, checkpoint in enumerate(optional_list(msg, "checkpoints", "msg"))
        ]
        tag = text_or_none(msg.get("tag"))
        # A Tracking still `Pending` has no checkpoint yet, and an Expired one gets none: the
        # tag is the only place they show.
        status, cause = map_status(tag, text_or_none(msg.get("subtag"))) if tag else (None, None)
        return [NormalizedUpdate(
            source=self.name,
            tracking_number=tracking_number,
            carrier=carrier,
            service=text_or_none(msg.get("shipment_type")),
            estimated_delivery=_estimated_delivery(msg),
            events=oldest_first(e for e in events if e is not None),
            provider_object_id=text_or_none(msg.get("id")),
            status=status,
            exception_cause=cause,
            provider_event_id=text_or_none(body.get("event_id")),
            order_reference=text_or_none(msg.get("order_number")) or text_or_none(msg.get("order_id")),
        )]

    def _event(self, checkpoint: Any, index: int, tracking_number: str,
               carrier: str) -> NormalizedEvent | None:
        if not isinstance(checkpoint, dict):
            raise PayloadError(f"msg.checkpoints[{index}] must be an object.")
        # checkpoint_time is the carrier's local time, often without an offset (read as UTC);
        # created_at is when AfterShip recorded it, a fallback only.
        occurred_at = parse_timestamp(checkpoint.get("checkpoint_time")) or parse_timestamp(
            checkpoint.get("created_at"))
        if occurred_at is None:
            logger.warning("AfterShip checkpoint %d of %s has no usable time: skipped",
                           index, tracking_number)
            return None
        code = text_or_none(checkpoint.get("tag")) or TrackingStatus.UNKNOWN.value
        subcode = text_or_none(checkpoint.get("subtag"))
        status, cause = map_status(code, subcode)
        message = (text_or_none(checkpoint.get("message"))
                   or text_or_none(checkpoint.get("subtag_message")) or "")
        checkpoint_id = text_or_none(checkpoint.get("hash"))
        return NormalizedEvent(
            tracking_number=tracking_number,
            carrier=carrier,
            status=status,
            source_code=code,
            source_subcode=subcode,
            message=message,
            occurred_at=occurred_at,
            location=shape_location(checkpoint, aliases=_LOCATION_ALIASES,
                                    fallback=checkpoint.get("location")),
            exception_cause=cause,
            estimated_delivery=None,
            dedup_key=f"aftership:{checkpoint_id}" if checkpoint_id else content_dedup_key(
                tracking_number, occurred_at, code, subcode, message),
            raw=checkpoint,
        )


def _estimated_delivery(msg: dict[str, Any]) -> date | None:
    """Legacy `expected_delivery` first, then the versioned fields (wire-formats.md §1.2). The
    inner shape of `latest_estimated_delivery` is not in our notes [UNCERTAIN]: a string or an
    object with `datetime`/`datetime_max`/`estimated_delivery_date` is accepted."""
    latest = msg.get("latest_estimated_delivery")
    if isinstance(latest, dict):
        latest = (latest.get("datetime") or latest.get("datetime_max")
                  or latest.get("estimated_delivery_date"))
    courier = as_object(msg.get("courier_estimated_delivery_date")).get("estimated_delivery_date")
    for candidate in (msg.get("expected_delivery"), latest, courier):
        parsed = parse_date(candidate)
        if parsed is not None:
            return parsed
    return None


adapter = AfterShipAdapter()
