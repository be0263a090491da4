"""What the lookup reads, in the scope of the store the shopper is on.

`order_lookup` does the same work whether the number, the e-mail or the postcode is wrong:
always the order query (for both spellings of the number, "1001" and "#1001") and the parcels
query (for the matched order, else for none), and always four comparisons of keyed hashes
(two candidates × e-mail and postcode), so neither the answer nor its time tells which part
was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from orders.models import Order

from ..models import Shipment
from ..public.selectors import TrackingPageData, tracking_page_data

MAX_NUMBER = 64  # longer than any order (32) or tracking number (64) we store
MAX_CONTACT = 254  # the longest e-mail address
# Stands in for a missing candidate or an empty stored value: never equal to a real input's
# hash, since inputs are compared only when not empty.
_ABSENT = "\x00absent"


@dataclass(frozen=True)
class Parcel:
    """One of the order's parcels, as the answer lists it."""

    public_token: str
    carrier: str
    tracking_number: str
    status: str
    delayed: bool
    stalled: bool


@dataclass(frozen=True)
class OrderFound:
    number: str  # as the store spells it ("#1001")
    parcels: list[Parcel]
    order_id: int = 0


def number_key(number: str) -> str:
    """One spelling per order or tracking number, for the per-number rate limit."""
    return re.sub(r"\s+", "", number).lstrip("#").upper()


def postcode_key(value: str) -> str:
    """ "sw1a 1aa", "SW1A-1AA" → "SW1A1AA": postcodes are compared without case or spacing."""
    return re.sub(r"[\s-]+", "", value).upper()


def _digest(value: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).digest()


def _same(stored: str | None, given: str) -> bool:
    """Constant-time equality of keyed hashes; an empty stored or given value never matches
    (yet costs the same comparison)."""
    equal = hmac.compare_digest(_digest(stored or _ABSENT), _digest(given or _ABSENT))
    return equal and bool(stored) and bool(given)


def order_lookup(number: str, contact: str) -> OrderFound | None:
    """The order numbered `number` whose shopper's e-mail or delivery postcode is `contact`,
    with its parcels; None for any mismatch. Runs in the store's scope."""
    typed = number.strip()
    bare = typed.lstrip("#")
    email, postcode = contact.strip().lower(), postcode_key(contact)
    rows: list[tuple[int | None, str, str | None, Any]] = list(
        Order.objects.filter(number__in=[bare, f"#{bare}"])
        .values_list("pk", "number", "customer__email", "shipping_address__postcode")
        .order_by("pk")[:2])
    rows += [(None, "", None, None)] * (2 - len(rows))
    found: tuple[int, str] | None = None
    for pk, stored_number, stored_email, stored_postcode in rows:
        by_email = _same((stored_email or "").lower(), email)
        by_postcode = _same(postcode_key(str(stored_postcode or "")), postcode)
        if (by_email or by_postcode) and pk is not None and found is None:
            found = (pk, stored_number)
    parcels = [Parcel(*row) for row in
               Shipment.objects.filter(order_id=found[0] if found else 0)  # 0: no order
               .order_by("created_at", "pk")
               .values_list("public_token", "carrier", "tracking_number", "status", "delayed",
                            "stalled")]
    return None if found is None else OrderFound(number=found[1], parcels=parcels,
                                                 order_id=found[0])


def parcel_lookup(tracking_number: str) -> TrackingPageData | None:
    """The store's parcel with this tracking number (as typed, or upper-cased without
    spaces), read as the tracking page reads it; None when there is none."""
    typed = tracking_number.strip()
    token = (Shipment.objects.filter(tracking_number__in=[typed, re.sub(r"\s+", "", typed).upper()])
             .order_by("-created_at", "-pk").values_list("public_token", flat=True).first())
    return tracking_page_data(token) if token else None
