"""Carrier ingestion: one adapter per tracking source, all producing the same normalised shape.

    base.py        NormalizedEvent, NormalizedUpdate, Adapter, PayloadError
    parsing.py     shared JSON/date/location/dedup helpers
    signatures.py  HMAC and token checks for EasyPost, AfterShip, Shippo and Shopify
    easypost/ aftership/ shippo/   adapter (__init__), mapping.py tables, fixtures/ payloads
    generic.py     our own event API (API-key authenticated: not a webhook adapter)

`ADAPTERS` is what `/webhooks/<source>/<tenant-slug>/` may reach; look sources up with
`get_adapter(name)`.
"""

from __future__ import annotations

from tracking.carriers import aftership, easypost, shippo
from tracking.carriers.base import Adapter, NormalizedEvent, NormalizedUpdate, PayloadError

ADAPTERS: dict[str, Adapter] = {
    adapter.name: adapter for adapter in (easypost.adapter, aftership.adapter, shippo.adapter)
}


class UnknownSource(LookupError):
    pass


def get_adapter(name: str) -> Adapter:
    """The adapter for a webhook source, or UnknownSource (answer it with a 404)."""
    try:
        return ADAPTERS[name]
    except KeyError:
        raise UnknownSource(f"No tracking source named {name!r}; known: {', '.join(ADAPTERS)}.") from None


__all__ = ["ADAPTERS", "Adapter", "NormalizedEvent", "NormalizedUpdate", "PayloadError",
           "UnknownSource", "get_adapter"]
