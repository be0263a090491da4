"""Is a planned message still worth sending? Asked by the dispatcher just before each send;
an answer is the `status_reason` of a message that is then `suppressed` instead.

    rule or journey turned off since planning      → "The journey rule … was turned off …"
    order cancelled (order confirmed, marketing)   → "The order was cancelled."
    shipment moved past the message's milestone    → "The shipment is already delivered, …"
      (tracking's STATUS_RANK: out for delivery after delivered, a delay apology after
       delivery, "shipped" for a parcel first seen delivered)
    a second review request for the same order     → "A review request for this order …"
    consent withdrawn, turned off, STOP/bounce     → the same sentences as at planning time
"""

from __future__ import annotations

from orders.models import Customer, Order
from tenants.context import tenant_scope
from tracking.models import Shipment
from tracking.statuses import (
    PROBLEM_STATUSES,
    STATUS_RANK,
    TERMINAL_STATUSES,
    Milestone,
    TrackingStatus,
)

from ..models import JourneyRule, Message
from .recipients import MARKETING_MILESTONES, RecipientChecks, milestone_label

S = TrackingStatus
# The shipment status each shipment milestone stands for, to compare ranks with.
MILESTONE_STATUS: dict[str, TrackingStatus] = {
    Milestone.SHIPPED: S.IN_TRANSIT,
    Milestone.IN_TRANSIT: S.IN_TRANSIT,
    Milestone.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY,
    Milestone.AVAILABLE_FOR_PICKUP: S.AVAILABLE_FOR_PICKUP,
    Milestone.ATTEMPT_FAILED: S.ATTEMPT_FAILED,
    Milestone.EXCEPTION: S.EXCEPTION,
    Milestone.DELIVERED: S.DELIVERED,
    Milestone.RETURNED_TO_SENDER: S.RETURNED_TO_SENDER,
}
# Derived milestones: news only while the flag is up and the parcel is still on its way.
FLAG_MILESTONES: dict[str, tuple[str, str]] = {
    Milestone.DELAYED: ("delayed", "The shipment is no longer late."),
    Milestone.STALLED: ("stalled", "The shipment is moving again."),
}
# A message in one of these states reached (or may have reached) the shopper.
REACHED_STATUSES = (Message.Status.SENDING, Message.Status.SENT, Message.Status.DELIVERED,
                    Message.Status.OPENED, Message.Status.CLICKED, Message.Status.UNCERTAIN)
CANCELLED_ORDER_MILESTONES = frozenset({Milestone.ORDER_CONFIRMED, *MARKETING_MILESTONES})


def message_relevance(message: Message) -> str | None:
    """A reason not to send `message` now, or None to send it. Reads fresh rows (the
    shipment may have moved since the message was planned); a handful of queries."""
    with tenant_scope(message.tenant):
        # No rule: a test send from the dashboard, or the rule was deleted since.
        rule = (JourneyRule.objects.filter(pk=message.rule_id).select_related("journey").first()
                if message.rule_id is not None else None)
        return (_rule_reason(rule) or _order_reason(message) or _shipment_reason(message)
                or _repeat_reason(message) or _recipient_reason(message, rule))


def _rule_reason(rule: JourneyRule | None) -> str | None:
    if rule is None:
        return None
    if not rule.enabled:
        return f"The journey rule “{rule.name}” was turned off after this message was planned."
    if not rule.journey.enabled:
        return f"The journey “{rule.journey.name}” was turned off after this message was planned."
    return None


def _order_reason(message: Message) -> str | None:
    if message.order_id is None:
        return None
    order = Order.objects.filter(pk=message.order_id).first()
    if order is None:
        return "The order no longer exists."
    cancelled = (order.fulfillment_status == Order.FulfillmentStatus.CANCELLED
                 or order.financial_status == Order.FinancialStatus.VOIDED)
    if cancelled and message.milestone in CANCELLED_ORDER_MILESTONES:
        return "The order was cancelled."
    if (message.milestone in MARKETING_MILESTONES
            and order.fulfillment_status == Order.FulfillmentStatus.RETURNED):
        return "The order was returned."
    return None


def _shipment_reason(message: Message) -> str | None:
    tracked = message.milestone in MILESTONE_STATUS or message.milestone in FLAG_MILESTONES
    if message.shipment_id is None:
        return "The shipment no longer exists." if tracked else None
    shipment = Shipment.objects.filter(pk=message.shipment_id).first()
    if shipment is None:
        return "The shipment no longer exists."
    current = TrackingStatus(shipment.status)
    already = f"The shipment is already {current.label.lower()}"
    if message.milestone in FLAG_MILESTONES:
        flag, cleared = FLAG_MILESTONES[message.milestone]
        if current in TERMINAL_STATUSES:
            return f"{already}: no need to say it is {flag}."
        return None if getattr(shipment, flag) else cleared
    if message.milestone in MARKETING_MILESTONES:
        return None if current == S.DELIVERED else f"{already}, not delivered."
    if message.milestone not in MILESTONE_STATUS:
        return None
    expected = MILESTONE_STATUS[message.milestone]
    label = milestone_label(message.milestone)
    if STATUS_RANK[current] > STATUS_RANK[expected]:
        return f"{already}, past “{label}”."
    # Sideways on the last mile (out for delivery → at a pickup point) or a different end
    # (delivered → returned to sender) makes the message wrong too; problems stay news.
    if (STATUS_RANK[current] == STATUS_RANK[expected] and current != expected
            and current not in PROBLEM_STATUSES and expected not in PROBLEM_STATUSES
            and STATUS_RANK[current] >= STATUS_RANK[S.OUT_FOR_DELIVERY]):
        return f"{already}, not “{label}”."
    return None


def _repeat_reason(message: Message) -> str | None:
    """An order in several parcels is delivered several times; the shopper is asked for a
    review (or offered a refill) once per order and channel."""
    if message.milestone not in MARKETING_MILESTONES or message.order_id is None:
        return None
    earlier = (Message.objects.filter(order_id=message.order_id, milestone=message.milestone,
                                      channel=message.channel, status__in=REACHED_STATUSES)
               .exclude(pk=message.pk).exists())
    if earlier:
        return f"A “{milestone_label(message.milestone)}” for this order was already sent."
    return None


def _recipient_reason(message: Message, rule: JourneyRule | None) -> str | None:
    customer = (Customer.objects.filter(pk=message.customer_id).first()
                if message.customer_id is not None else None)
    marketing = bool(rule is not None and isinstance(rule.conditions, dict)
                     and rule.conditions.get("marketing_consent"))
    addresses = {message.channel: message.recipient} if message.recipient else None
    checks = RecipientChecks(customer, channels=[message.channel], addresses=addresses)
    return checks.block_reason(message.milestone, message.channel, marketing_required=marketing)
