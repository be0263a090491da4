"""Shippo tracking statuses and substatuses → our statuses (wire-formats.md §1.3).

Shippo's six statuses are coarse: out for delivery, a failed attempt and pickup all arrive as
TRANSIT, told apart only by `substatus.code`. So a known substatus overrides the status, except
that it never turns DELIVERED or RETURNED into something less final. Unknown statuses become
`unknown` and are logged; unknown substatuses change nothing.

wire-formats.md lists one substatus code (`information_received`). The others come from Shippo's
"Event definitions" page as we remember it [UNCERTAIN]: check them against a real delivery.
"""

from __future__ import annotations

from tracking.carriers.base import StatusMapping
from tracking.carriers.parsing import log_unknown_code
from tracking.statuses import TERMINAL_STATUSES, ExceptionCause, TrackingStatus

S = TrackingStatus
C = ExceptionCause

STATUS: dict[str, StatusMapping] = {
    "UNKNOWN": (S.UNKNOWN, None),
    "PRE_TRANSIT": (S.PENDING, None),
    "TRANSIT": (S.IN_TRANSIT, None),
    "DELIVERED": (S.DELIVERED, None),
    # "en route to be returned to the sender, or has been returned": terminal either way.
    "RETURNED": (S.RETURNED_TO_SENDER, None),
    # A delivery issue of any kind, not necessarily an attempt (see the EasyPost `failure` note).
    "FAILURE": (S.EXCEPTION, C.OTHER),
}

SUBSTATUS: dict[str, StatusMapping] = {
    "information_received": (S.PENDING, None),  # listed in wire-formats.md
    # [UNCERTAIN] codes below: not in wire-formats.md.
    "out_for_delivery": (S.OUT_FOR_DELIVERY, None),
    "pickup_available": (S.AVAILABLE_FOR_PICKUP, None),
    "delivery_attempted": (S.ATTEMPT_FAILED, None),
    "notice_left": (S.ATTEMPT_FAILED, None),
    "address_issue": (S.EXCEPTION, C.RECIPIENT),
    "location_inaccessible": (S.EXCEPTION, C.RECIPIENT),
    "package_damaged": (S.EXCEPTION, C.CARRIER),
    "package_lost": (S.EXCEPTION, C.CARRIER),
    "delayed": (S.EXCEPTION, C.CARRIER),
    "package_held": (S.EXCEPTION, C.OTHER),
    "contact_carrier": (S.EXCEPTION, C.OTHER),
    "package_undeliverable": (S.EXCEPTION, C.OTHER),
    "package_disposed": (S.EXCEPTION, C.OTHER),
    "return_to_sender": (S.RETURNED_TO_SENDER, None),
}


def map_status(status: str | None, substatus: str | None) -> StatusMapping:
    mapped = STATUS.get(status or "")
    if mapped is None:
        log_unknown_code("shippo", "status", status)
        return S.UNKNOWN, None
    override = SUBSTATUS.get(substatus or "")
    if override is not None and mapped[0] not in TERMINAL_STATUSES:
        return override
    return mapped
