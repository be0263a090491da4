"""EasyPost codes → our statuses (wire-formats.md §1.1, Tracker `status` and `status_detail`).

`status` decides our status. `status_detail` is an open list EasyPost documents only in part:
it never changes the status, it only says who caused an exception. An unknown `status` becomes
`unknown` and is logged; an unknown `status_detail` is normal and changes nothing.
"""

from __future__ import annotations

from tracking.carriers.base import StatusMapping
from tracking.carriers.parsing import log_unknown_code
from tracking.statuses import ExceptionCause, TrackingStatus

S = TrackingStatus
C = ExceptionCause

STATUS: dict[str, StatusMapping] = {
    "unknown": (S.UNKNOWN, None),
    "pre_transit": (S.PENDING, None),
    "in_transit": (S.IN_TRANSIT, None),
    "out_for_delivery": (S.OUT_FOR_DELIVERY, None),
    "delivered": (S.DELIVERED, None),
    "available_for_pickup": (S.AVAILABLE_FOR_PICKUP, None),
    "return_to_sender": (S.RETURNED_TO_SENDER, None),
    # EasyPost's catch-all for "could not be delivered": it does not say an attempt was made, so
    # it is an exception (the [OURS] table in wire-formats.md §1.4 suggests a failed attempt).
    "failure": (S.EXCEPTION, C.OTHER),
    "cancelled": (S.CANCELLED, None),
    # The tracker itself failed (e.g. the carrier does not know the number): nothing to show.
    "error": (S.UNKNOWN, None),
}

# status_detail → who caused it, used only when the status is an exception.
STATUS_DETAIL_CAUSE: dict[str, ExceptionCause | None] = {
    # Listed in wire-formats.md §1.1.
    "address_correction": C.RECIPIENT,
    "arrived_at_destination": None,
    "arrived_at_facility": None,
    "arrived_at_pickup_location": None,
    "awaiting_information": None,
    "label_created": None,
    "departed_facility": None,
    "status_update": None,
    "unknown": None,
    # [UNCERTAIN] Further values from EasyPost's tracker docs, not confirmed in wire-formats.md;
    # harmless if never sent, as they only name a cause.
    "damaged": C.CARRIER,
    "lost": C.CARRIER,
    "missorted": C.CARRIER,
    "transit_exception": C.CARRIER,
    "delayed": C.CARRIER,
    "refused": C.RECIPIENT,
    "weather_delay": C.WEATHER,
    "delivery_exception": C.OTHER,
}


def map_status(status: str | None, status_detail: str | None) -> StatusMapping:
    mapped = STATUS.get(status or "")
    if mapped is None:
        log_unknown_code("easypost", "status", status)
        return S.UNKNOWN, None
    our_status, default_cause = mapped
    if our_status != S.EXCEPTION:
        return our_status, None
    return our_status, STATUS_DETAIL_CAUSE.get(status_detail or "") or default_cause
