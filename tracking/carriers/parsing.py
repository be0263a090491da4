"""Small helpers every adapter shares: JSON loading with readable errors, lenient date and time
parsing, location shaping, carrier codes, headers and the content-based de-duplication key."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from config.untrusted import JsonError, json_parse
from tracking.carriers.base import Location, NormalizedEvent, PayloadError

logger = logging.getLogger("tracking.carriers")


def load_json_object(raw_body: bytes, source: str) -> dict[str, Any]:
    """Parse a body that must be a JSON object, or raise PayloadError saying what is wrong."""
    data = load_json(raw_body, source)
    if not isinstance(data, dict):
        raise PayloadError(f"The {source} body must be a JSON object, not {json_type(data)}.")
    return data


def load_json(raw_body: bytes, source: str) -> Any:
    if not raw_body or not raw_body.strip():
        raise PayloadError(f"The {source} body is empty.")
    try:
        return json_parse(raw_body, what=f"The {source} body")
    except JsonError as exc:
        raise PayloadError(exc.message) from None


def json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def require_object(parent: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise PayloadError(f"{where}.{key} must be an object, got {json_type(value)}.")
    return value


def require_text(parent: Mapping[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{where}.{key} must be a non-empty string, got {json_type(value)}.")
    return value.strip()


def optional_list(parent: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{where}.{key} must be an array, got {json_type(value)}.")
    return value


def as_object(value: object) -> dict[str, Any]:
    """An optional nested object: anything but an object (null, a stray string) reads as empty."""
    return value if isinstance(value, dict) else {}


def text_or_none(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def parse_timestamp(value: object, *, assume_utc: bool = True) -> datetime | None:
    """An aware datetime from an ISO 8601 string, or None when absent or unreadable.

    Some sources send local times without an offset (AfterShip `checkpoint_time` is the
    checkpoint's local time, zone unknown). Those are read as UTC when `assume_utc`: at worst a
    few hours off, which only matters to the order of events from different time zones.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if not assume_utc:
            return None
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_date(value: object) -> date | None:
    """A calendar date from "YYYY-MM-DD" or any ISO date-time. An estimated delivery date is a
    local calendar day, so a date-time keeps its own date rather than being moved to UTC."""
    if not isinstance(value, str) or len(value.strip()) < 10:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


_LOCATION_KEYS = {"city": "city", "state": "state", "country": "country",
                  "postal_code": "postal_code", "zip": "postal_code"}


def shape_location(source: object, *, aliases: Mapping[str, str] | None = None,
                   fallback: object = None) -> Location:
    """Keep the non-empty city/state/country/postal_code of a source's location object under our
    names; fall back to a free-text location string when nothing structured is there."""
    names = {**_LOCATION_KEYS, **(aliases or {})}
    fields = as_object(source)
    shaped: dict[str, str] = {}
    for key, ours in names.items():
        value = text_or_none(fields.get(key))
        if value and ours not in shaped:
            shaped[ours] = value
    if shaped:
        return shaped
    return text_or_none(fallback)


# Sources spell carriers differently ("FedEx", "fedex", "usps", "dhl_express"); one code per
# carrier keeps per-carrier analytics and shipment matching working across sources.
_CARRIER_ALIASES = {
    "fedex": "FEDEX",
    "usps": "USPS",
    "ups": "UPS",
    "dhl": "DHL",
    "dhlexpress": "DHL",
    "canadapost": "CANADA_POST",
    "royalmail": "ROYAL_MAIL",
}


def carrier_code(value: object) -> str:
    """One code per carrier: FedEx → FEDEX, dhl_express → DHL, royal-mail → ROYAL_MAIL.
    Unknown carriers keep their name, upper-cased with separators as underscores."""
    text = text_or_none(value)
    if text is None:
        return ""
    compact = re.sub(r"[^a-z0-9]", "", text.lower())
    if compact in _CARRIER_ALIASES:
        return _CARRIER_ALIASES[compact]
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def content_dedup_key(tracking_number: str, occurred_at: datetime, source_code: str,
                      source_subcode: str | None, message: str) -> str:
    """SHA-256 of what stays the same when a source repeats an event (AfterShip and EasyPost
    resend the whole history on every update). JSON-encoding the list keeps the fields apart."""
    stable = [tracking_number, occurred_at.astimezone(UTC).isoformat(), source_code,
              source_subcode or "", message]
    digest = hashlib.sha256(json.dumps(stable, ensure_ascii=False).encode()).hexdigest()
    return f"sha256:{digest}"


def oldest_first(events: Iterable[NormalizedEvent]) -> list[NormalizedEvent]:
    """Sort by time and drop repeats of the same event within one body (stable for ties)."""
    seen: set[str] = set()
    unique = []
    for event in events:
        if event.dedup_key not in seen:
            seen.add(event.dedup_key)
            unique.append(event)
    return sorted(unique, key=lambda event: event.occurred_at)


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """Header lookup that works for Django's case-insensitive `request.headers` and for plain
    dicts alike (tests, replays of stored headers)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def log_unknown_code(source: str, kind: str, code: object) -> None:
    logger.warning("Unmapped %s %s %r: treated as unknown; add it to %s/mapping.py",
                   source, kind, code, source)
