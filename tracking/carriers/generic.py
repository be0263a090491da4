"""Our own generic tracking-event API: retailers (or their 3PL) push events in canonical form.

    POST /api/v1/tracking-events   (authenticated by API key, so there is nothing to verify here)
    {"tracking_number": "1Z…", "carrier": "UPS", "status": "in_transit",
     "occurred_at": "2024-05-01T09:58:00+02:00", "message": "…", "location": "Berlin, DE" |
     {"city", "state", "country", "postal_code"}, "event_id": "…", "estimated_delivery":
     "2024-05-03", "exception_cause": "carrier"}
    or a list of up to 1,000 such objects.

Validation collects every problem at once and names it by item and field ("[3].occurred_at"),
so a developer fixes a batch in one round trip. Events are grouped into one NormalizedUpdate per
(tracking number, carrier), in the order they were sent.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tracking.carriers.base import NormalizedEvent, NormalizedUpdate, PayloadError
from tracking.carriers.parsing import (
    carrier_code,
    content_dedup_key,
    json_type,
    load_json,
    oldest_first,
    shape_location,
)
from tracking.statuses import ExceptionCause, TrackingStatus

MAX_EVENTS = 1000
REQUIRED = ("tracking_number", "carrier", "status", "occurred_at")
OPTIONAL = ("message", "location", "event_id", "estimated_delivery", "exception_cause")
MAX_LENGTHS = {"tracking_number": 100, "carrier": 50, "event_id": 200, "message": 1000}
LOCATION_FIELDS = ("city", "state", "country", "postal_code")


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


_EMPTY = {"type": "string", "maxLength": 0}
# What parse_data accepts, as the OpenAPI schema of POST /api/v1/tracking-events/: the same
# names, limits and vocabularies, so the schema and the validation cannot drift apart.
EVENT_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "required": list(REQUIRED),
    "properties": {
        **{name: {"type": "string", "minLength": 1, "maxLength": MAX_LENGTHS.get(name, 100)}
           for name in ("tracking_number", "carrier")},
        "status": {"type": "string", "enum": list(TrackingStatus.values)},
        "occurred_at": {"type": "string", "format": "date-time",
                        "description": "With a UTC offset or Z."},
        "message": _nullable({"type": "string", "maxLength": MAX_LENGTHS["message"]}),
        "location": _nullable({"oneOf": [
            {"type": "string", "description": "e.g. \"Berlin, DE\"; the first 200 characters."},
            {"type": "object", "additionalProperties": False,
             "properties": {name: _nullable({"type": "string"}) for name in LOCATION_FIELDS}},
        ]}),
        "event_id": _nullable({"type": "string", "maxLength": MAX_LENGTHS["event_id"],
                               "description": "Your id for the event: sent again, stored once."}),
        "estimated_delivery": _nullable({"oneOf": [{"type": "string", "format": "date"}, _EMPTY]}),
        # OpenAPI 3.0: an enum must list null itself for `nullable` to admit it.
        "exception_cause": _nullable({"type": "string",
                                      "enum": [*ExceptionCause.values, "", None]}),
    },
}
BODY_SCHEMA: dict = {"oneOf": [
    EVENT_SCHEMA,
    {"type": "array", "items": EVENT_SCHEMA, "minItems": 1, "maxItems": MAX_EVENTS},
]}


class GenericEventParser:
    """Adapter-like, but not in the webhook registry: this API is reached with an API key."""

    name = "generic"

    def parse(self, raw_body: bytes) -> list[NormalizedUpdate]:
        return self.parse_data(load_json(raw_body, "event"))

    def parse_data(self, data: Any) -> list[NormalizedUpdate]:
        """Validate already-decoded JSON (e.g. DRF's request.data) and normalise it."""
        if isinstance(data, dict):
            items, prefix = [data], None
        elif isinstance(data, list):
            items, prefix = data, "[{}]."
        else:
            raise PayloadError(f"Send an event object or an array of them, not {json_type(data)}.")
        if not items:
            raise PayloadError("The array is empty: send at least one event.")
        if len(items) > MAX_EVENTS:
            raise PayloadError(f"Send at most {MAX_EVENTS} events per request, not {len(items)}.")

        errors: dict[str, list[str]] = {}
        events = []
        for index, item in enumerate(items):
            at = prefix.format(index) if prefix else ""
            problems: dict[str, list[str]] = {}
            event = _event(item, problems)
            for field_name, messages in problems.items():
                errors[f"{at}{field_name}"] = messages
            if event is not None:
                events.append(event)
        if errors:
            first = next(iter(errors.items()))
            raise PayloadError(
                f"{len(errors)} invalid field(s); first: {first[0]}: {first[1][0]}", details=errors)
        return _group(events)


def _event(item: Any, problems: dict[str, list[str]]) -> NormalizedEvent | None:
    if not isinstance(item, dict):
        problems["non_field_errors"] = [f"Each event must be an object, not {json_type(item)}."]
        return None
    for unknown in sorted(set(item) - set(REQUIRED) - set(OPTIONAL)):
        problems[unknown] = [f"Unknown field; expected one of: {', '.join(REQUIRED + OPTIONAL)}."]
    for name in REQUIRED:
        value = item.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems[name] = ["This field is required."]
    for name, limit in MAX_LENGTHS.items():
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            problems[name] = [f"Must be a string, not {json_type(value)}."]
        elif isinstance(value, str) and len(value) > limit:
            problems[name] = [f"At most {limit} characters."]

    status = _choice(item, "status", TrackingStatus, problems)
    cause = _choice(item, "exception_cause", ExceptionCause, problems)
    occurred_at = _occurred_at(item.get("occurred_at"), problems)
    estimated = _estimated_delivery(item.get("estimated_delivery"), problems)
    location = _location(item.get("location"), problems)
    if problems or status is None or occurred_at is None:
        return None

    tracking_number = item["tracking_number"].strip()
    message = (item.get("message") or "").strip()
    event_id = (item.get("event_id") or "").strip()
    return NormalizedEvent(
        tracking_number=tracking_number,
        carrier=carrier_code(item["carrier"]),
        status=status,
        source_code=status.value,
        source_subcode=None,
        message=message,
        occurred_at=occurred_at,
        location=location,
        exception_cause=cause if status == TrackingStatus.EXCEPTION else None,
        estimated_delivery=estimated,
        # A retailer's event ids may only be unique per parcel: scope them by tracking number.
        dedup_key=f"generic:{tracking_number}:{event_id}" if event_id else content_dedup_key(
            tracking_number, occurred_at, status.value, None, message),
        raw=item,
    )


def _choice(item: dict, name: str, choices: type[TrackingStatus] | type[ExceptionCause],
            problems: dict[str, list[str]]) -> Any:
    value = item.get(name)
    if value in (None, ""):
        return None
    if value not in choices.values:
        problems[name] = [f"Not a valid choice; expected one of: {', '.join(choices.values)}."]
        return None
    return choices(value)


def _occurred_at(value: Any, problems: dict[str, list[str]]) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # reported as required above
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        problems["occurred_at"] = ["Not an ISO 8601 date-time, e.g. 2024-05-01T09:58:00+02:00."]
        return None
    if parsed.tzinfo is None:
        # Guessing a zone would silently misorder events; our own API can insist.
        problems["occurred_at"] = ["Include a UTC offset or Z, e.g. 2024-05-01T09:58:00Z."]
        return None
    return parsed


def _estimated_delivery(value: Any, problems: dict[str, list[str]]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems["estimated_delivery"] = ["Must be a date in the form YYYY-MM-DD."]
    return None


def _location(value: Any, problems: dict[str, list[str]]) -> dict[str, str] | str | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        return value.strip()[:200]
    if isinstance(value, dict):
        extra = sorted(set(value) - set(LOCATION_FIELDS))
        if extra or not all(isinstance(v, str | None) for v in value.values()):
            problems["location"] = [f"An object with string fields among: {', '.join(LOCATION_FIELDS)}."]
            return None
        return shape_location(value)
    problems["location"] = ["Must be a string or an object."]
    return None


def _group(events: list[NormalizedEvent]) -> list[NormalizedUpdate]:
    updates: dict[tuple[str, str], NormalizedUpdate] = {}
    for event in events:
        key = (event.tracking_number, event.carrier)
        if key not in updates:
            updates[key] = NormalizedUpdate(source="generic", tracking_number=key[0], carrier=key[1],
                                            service=None, estimated_delivery=None, events=[],
                                            provider_object_id=None)
        update = updates[key]
        update.events.append(event)
        # The latest estimate sent wins, in the order the caller sent events.
        update.estimated_delivery = event.estimated_delivery or update.estimated_delivery
    for update in updates.values():
        update.events = oldest_first(update.events)
    return list(updates.values())


parser = GenericEventParser()
