"""AfterShip tags and subtags → our statuses (wire-formats.md §1.2).

The subtag is the more precise of the two and wins when we know it: `Exception_010/011` are
returns and `Exception_020` a cancellation, not exceptions. AfterShip adds subtags without a
version bump, so an unknown subtag falls back to its tag (the part before "_"); an unknown tag
becomes `unknown` and is logged.

Subtag meanings come from AfterShip's "Delivery Sub-statuses" enum (2026-07) and help-centre
article (Exception_016…021, added 2026-03-27); Exception_014/015 are listed in wire-formats.md
as part of the range but we found no description [UNCERTAIN]: a plain exception.
"""

from __future__ import annotations

from tracking.carriers.base import StatusMapping
from tracking.carriers.parsing import log_unknown_code, logger
from tracking.statuses import ExceptionCause, TrackingStatus

S = TrackingStatus
C = ExceptionCause

TAG: dict[str, StatusMapping] = {
    "Pending": (S.PENDING, None),  # added to AfterShip, no carrier information yet
    "InfoReceived": (S.PENDING, None),
    "InTransit": (S.IN_TRANSIT, None),
    "OutForDelivery": (S.OUT_FOR_DELIVERY, None),
    "AttemptFail": (S.ATTEMPT_FAILED, None),
    "Delivered": (S.DELIVERED, None),
    "AvailableForPickup": (S.AVAILABLE_FOR_PICKUP, None),
    "Exception": (S.EXCEPTION, C.OTHER),
    # No information for 30 days; we have a status for it (the §1.4 [OURS] table says unknown).
    "Expired": (S.EXPIRED, None),
}

SUBTAG: dict[str, StatusMapping] = {
    "InTransit_001": (S.IN_TRANSIT, None),
    "OutForDelivery_001": (S.OUT_FOR_DELIVERY, None),
    "Delivered_001": (S.DELIVERED, None),
    "Delivered_002": (S.DELIVERED, None),  # picked up by the customer
    "Delivered_003": (S.DELIVERED, None),  # signed for
    "Delivered_004": (S.DELIVERED, None),  # cash on delivery collected
    "Delivered_005": (S.DELIVERED, None),  # to a neighbour
    "AvailableForPickup_001": (S.AVAILABLE_FOR_PICKUP, None),
    "Exception_001": (S.EXCEPTION, C.OTHER),  # unspecified shipping exception
    "Exception_002": (S.EXCEPTION, C.RECIPIENT),  # customer moved
    "Exception_003": (S.EXCEPTION, C.RECIPIENT),  # customer refused delivery
    "Exception_004": (S.EXCEPTION, C.CUSTOMS),  # delayed in customs clearance
    "Exception_005": (S.EXCEPTION, C.OTHER),  # delayed by external factors
    "Exception_006": (S.EXCEPTION, C.RECIPIENT),  # held for payment from the customer
    "Exception_007": (S.EXCEPTION, C.RECIPIENT),  # incorrect address (the shopper typed it)
    "Exception_008": (S.EXCEPTION, C.RECIPIENT),  # available for pickup but not collected
    "Exception_009": (S.EXCEPTION, C.RETAILER),  # rejected by carrier: parcel breaks its rules
    # "Returning" and "returned" both mean the shopper will not get it: one terminal status.
    "Exception_010": (S.RETURNED_TO_SENDER, None),
    "Exception_011": (S.RETURNED_TO_SENDER, None),
    "Exception_012": (S.EXCEPTION, C.CARRIER),  # damaged
    "Exception_013": (S.EXCEPTION, C.CARRIER),  # lost
    "Exception_014": (S.EXCEPTION, C.OTHER),  # [UNCERTAIN] meaning not found
    "Exception_015": (S.EXCEPTION, C.OTHER),  # [UNCERTAIN] meaning not found
    "Exception_016": (S.EXCEPTION, C.CARRIER),  # processing issue in the carrier network
    "Exception_017": (S.EXCEPTION, C.WEATHER),  # extreme weather
    "Exception_018": (S.EXCEPTION, C.CUSTOMS),  # incorrect or missing regulatory documents
    "Exception_019": (S.EXCEPTION, C.CARRIER),  # late flight
    "Exception_020": (S.CANCELLED, None),  # voided by the sender or carrier
    "Exception_021": (S.EXCEPTION, C.OTHER),  # disposed of
}


def map_status(tag: str | None, subtag: str | None) -> StatusMapping:
    if subtag and subtag in SUBTAG:
        return SUBTAG[subtag]
    if tag in TAG:
        if subtag:
            logger.info("AfterShip subtag %r not in the table: using its tag %r", subtag, tag)
        return TAG[tag]
    prefix = (subtag or "").partition("_")[0]
    if prefix in TAG:
        return TAG[prefix]
    log_unknown_code("aftership", "tag", tag)
    return S.UNKNOWN, None
