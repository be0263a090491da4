"""The canonical shipment status model, the milestones journeys react to, and the two rules that
connect them: which status changes are allowed (monotonic status) and which milestones a change
produces.

    carrier event ──mapping table──▶ TrackingStatus ──status_transition_allowed?──▶ shipment.status
                                                   └──milestones_for_transition──▶ [Milestone…]

Every event is still stored and shown on the timeline; these rules only decide whether it moves
the shipment's *current* status and which milestones (each at most once per shipment, enforced
by the caller's unique constraint) it records.
"""

from __future__ import annotations

from django.db import models


class TrackingStatus(models.TextChoices):
    # Label created / information received: the carrier does not have the parcel yet.
    PENDING = "pending", "Pending"
    IN_TRANSIT = "in_transit", "In transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    # Waiting at a pickup point or locker for the shopper to collect.
    AVAILABLE_FOR_PICKUP = "available_for_pickup", "Available for pickup"
    DELIVERED = "delivered", "Delivered"
    # The carrier tried and will usually try again or leave a notice.
    ATTEMPT_FAILED = "attempt_failed", "Delivery attempt failed"
    # Something went wrong (delay, damage, customs, address…); see ExceptionCause for who.
    EXCEPTION = "exception", "Exception"
    # On its way back to, or received by, the retailer: the shopper will not get it.
    RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"
    # The label or shipment was voided.
    CANCELLED = "cancelled", "Cancelled"
    # The source stopped tracking it (e.g. AfterShip: no information for 30 days).
    EXPIRED = "expired", "Expired"
    # The source gave us nothing we could interpret; never overwrites a known status.
    UNKNOWN = "unknown", "Unknown"


class ExceptionCause(models.TextChoices):
    """Who caused an exception: decides the tone of the message and who should act."""

    CARRIER = "carrier", "Carrier"  # lost, damaged, missorted, delayed in the network
    RETAILER = "retailer", "Retailer"  # rejected parcel, bad label or paperwork from the shipper
    RECIPIENT = "recipient", "Recipient"  # refused, moved, wrong address, unpaid duties, not collected
    CUSTOMS = "customs", "Customs"
    WEATHER = "weather", "Weather"
    OTHER = "other", "Other"


class Milestone(models.TextChoices):
    """The shipment milestones: each reached at most once per shipment. Order milestones are
    orders' (orders.models.OrderMilestoneName); what a journey does days after delivery
    (review_request, …) is messaging's (messaging/journeys/triggers.py)."""

    SHIPPED = "shipped", "Shipped"  # the first carrier movement after the label
    IN_TRANSIT = "in_transit", "In transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup", "Available for pickup"
    DELIVERED = "delivered", "Delivered"
    ATTEMPT_FAILED = "attempt_failed", "Delivery attempt failed"
    EXCEPTION = "exception", "Exception"
    DELAYED = "delayed", "Delayed"  # derived: the promised/estimated date passed
    STALLED = "stalled", "Stalled"  # derived: no scan for longer than the carrier's usual interval
    RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"


S = TrackingStatus

# States a shipment never leaves, whatever arrives later.
TERMINAL_STATUSES: frozenset[TrackingStatus] = frozenset(
    {S.DELIVERED, S.RETURNED_TO_SENDER, S.CANCELLED, S.EXPIRED}
)
# Detours: entered from any live state, and left again for any live state but `pending`.
PROBLEM_STATUSES: frozenset[TrackingStatus] = frozenset({S.ATTEMPT_FAILED, S.EXCEPTION})

# Progress along the way to the door. Problems sit level with in_transit so that the parcel can
# resume its journey from them; out_for_delivery and available_for_pickup share the last mile.
STATUS_RANK: dict[TrackingStatus, int] = {
    S.UNKNOWN: 0,
    S.PENDING: 1,
    S.IN_TRANSIT: 2,
    S.ATTEMPT_FAILED: 2,
    S.EXCEPTION: 2,
    S.OUT_FOR_DELIVERY: 3,
    S.AVAILABLE_FOR_PICKUP: 3,
    S.DELIVERED: 4,
    S.RETURNED_TO_SENDER: 4,
    S.CANCELLED: 4,
    S.EXPIRED: 4,
}


def status_transition_allowed(current: str | None, new: str) -> bool:
    """May a shipment whose status is `current` (None: no status yet) move to `new`?

    The rules, in order (the first that applies wins):

    1. the same status again is not a transition                          → False
    2. from no status or `unknown`, anything goes                         → True
    3. to `unknown`: it carries no information                            → False
    4. from a terminal state (delivered, returned_to_sender, cancelled,
       expired): a late event never undoes it                             → False
    5. to a terminal state, from any live state                           → True
    6. to a problem (attempt_failed, exception), from any live state      → True
    7. to `pending` once the carrier has moved the parcel                 → False
    8. from a problem back onto the road (in_transit, out_for_delivery,
       available_for_pickup)                                              → True
    9. between progress states: only forwards or sideways by STATUS_RANK,
       so a late `in_transit` never undoes `out_for_delivery`             → rank(new) >= rank(current)

    Statuses only: the caller should also skip events older than the one that set the current
    status, since a carrier can legitimately go out_for_delivery → in_transit in real time only
    through a problem scan.
    """
    new_status = TrackingStatus(new)
    if current is None:
        return True
    current_status = TrackingStatus(current)
    if new_status == current_status:
        return False
    if current_status == S.UNKNOWN:
        return True
    if new_status == S.UNKNOWN or current_status in TERMINAL_STATUSES:
        return False
    if new_status in TERMINAL_STATUSES or new_status in PROBLEM_STATUSES:
        return True
    if new_status == S.PENDING:
        return False
    if current_status in PROBLEM_STATUSES:
        return True
    return STATUS_RANK[new_status] >= STATUS_RANK[current_status]


# The milestone each status announces when a shipment enters it. `pending` announces nothing
# (a label is not news to the shopper); cancelled/expired/unknown are for the retailer only.
MILESTONE_FOR_STATUS: dict[TrackingStatus, Milestone | None] = {
    S.PENDING: None,
    S.IN_TRANSIT: Milestone.IN_TRANSIT,
    S.OUT_FOR_DELIVERY: Milestone.OUT_FOR_DELIVERY,
    S.AVAILABLE_FOR_PICKUP: Milestone.AVAILABLE_FOR_PICKUP,
    S.DELIVERED: Milestone.DELIVERED,
    S.ATTEMPT_FAILED: Milestone.ATTEMPT_FAILED,
    S.EXCEPTION: Milestone.EXCEPTION,
    S.RETURNED_TO_SENDER: Milestone.RETURNED_TO_SENDER,
    S.CANCELLED: None,
    S.EXPIRED: None,
    S.UNKNOWN: None,
}

# Statuses that prove the carrier physically has (or had) the parcel. An exception or a return
# straight after the label may mean it was never handed over, so they do not count as shipped.
CARRIER_MOVEMENT_STATUSES: frozenset[TrackingStatus] = frozenset(
    {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.AVAILABLE_FOR_PICKUP, S.DELIVERED, S.ATTEMPT_FAILED}
)
_NOT_YET_SHIPPED: frozenset[TrackingStatus | None] = frozenset({None, S.UNKNOWN, S.PENDING})


def milestones_for_transition(previous_status: str | None, new_status: str) -> list[Milestone]:
    """The milestones a status change produces, in the order they happened.

    How a caller derives milestones: for each event, oldest first, call this with the shipment's
    current status and the event's status; if the list is non-empty (the transition is allowed),
    store the new status and insert one milestone row per item with a unique constraint on
    (tenant, shipment, milestone) and ON CONFLICT DO NOTHING, so a milestone reached twice
    (in_transit → exception → in_transit) or a replayed webhook still records it once.

    - a transition that `status_transition_allowed` refuses produces nothing;
    - the first carrier movement after no status / unknown / pending produces `shipped` first,
      then the new status's own milestone (a parcel first seen as delivered yields
      [shipped, delivered]);
    - otherwise the new status's milestone from MILESTONE_FOR_STATUS, if it has one.

    `delayed` and `stalled` are not status changes: silence detection derives them from dates.
    """
    new = TrackingStatus(new_status)
    previous = None if previous_status is None else TrackingStatus(previous_status)
    if not status_transition_allowed(previous, new):
        return []
    milestones: list[Milestone] = []
    if previous in _NOT_YET_SHIPPED and new in CARRIER_MOVEMENT_STATUSES:
        milestones.append(Milestone.SHIPPED)
    own = MILESTONE_FOR_STATUS[new]
    if own is not None:
        milestones.append(own)
    return milestones
