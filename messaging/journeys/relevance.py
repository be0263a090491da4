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

from django.db import connection

from config import db
from orders.models import Customer, Order, OrderMilestoneName
from orders.selectors import orders_with_customers
from tenants.context import require_tenant
from tracking.models import Shipment
from tracking.statuses import (
    PROBLEM_STATUSES,
    STATUS_RANK,
    TERMINAL_STATUSES,
    Milestone,
    TrackingStatus,
)

from ..models import Channel, JourneyRule, Message
from .recipients import (
    MARKETING_MILESTONES,
    REASON_LABELS,
    RecipientChecks,
    RecipientFacts,
    milestone_label,
)

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
CANCELLED_ORDER_MILESTONES = frozenset({OrderMilestoneName.ORDER_CONFIRMED,
                                        *MARKETING_MILESTONES})


def message_relevance(message: Message) -> str | None:
    """A reason not to send `message` now, or None to send it. Reads fresh rows (the
    shipment may have moved since the message was planned); a handful of queries."""
    return MessageFacts(message.tenant, [message]).relevance(message)


def messages_block_reasons(tenant, messages: list[Message], *, pending_counts: bool = False,
                           facts: MessageFacts | None = None) -> dict[int, str | None]:
    """For a batch about to be sent (or rendered for sending): per message id, the reason not
    to send it, or None. First what the shopper said (suppression list, consent, marketing
    consent a rule asks for, preferences), then `message_relevance`, all from one set of
    reads (about eight queries for the whole batch).

    Review requests and their kind go once per order and channel: one that passes here
    counts as sent for the rest of the batch; with `pending_counts`, rows already `queued`
    (rendered by an earlier batch, not yet sent) count too. `facts`: read beforehand by a
    caller that uses them again."""
    facts = facts or MessageFacts(tenant, messages, pending_counts=pending_counts)
    reasons: dict[int, str | None] = {}
    for message in messages:
        reason = facts.shopper_reason(message) or facts.relevance(message)
        reasons[message.pk] = reason
        if reason is None:
            facts.count_as_reached(message)
    return reasons


class MessageFacts:
    """Fresh rows for a batch of messages (rules with journeys, orders, shipments, shoppers,
    preferences, suppressions, earlier review requests): each kind in one query."""

    def __init__(self, tenant, messages: list[Message], *, pending_counts: bool = False):
        """The orders come with their customers (one query: the shopper checks need them and
        so do the contexts that reuse these rows); rows are read with config.db.instances_where."""
        require_tenant(tenant)  # the caller's scope (the shoppers' facts read through it)
        rule_ids = {m.rule_id for m in messages if m.rule_id is not None}
        self.rules = {r.pk: r for r in db.instances_where(
            JourneyRule, tenant.pk, {"id__in": list(rule_ids)},
            related=("journey", "template"))}  # the template: for rendering the batch
        order_ids = {m.order_id for m in messages if m.order_id is not None}
        self.orders = ({o.pk: o for o in orders_with_customers(tenant, order_ids)}
                       if order_ids else {})
        shipment_ids = {m.shipment_id for m in messages if m.shipment_id is not None}
        self.shipments = {s.pk: s for s in db.instances_where(
            Shipment, tenant.pk, {"id__in": list(shipment_ids)})}
        customer_ids = {m.customer_id for m in messages if m.customer_id is not None}
        self.customers = {o.customer_id: o.customer for o in self.orders.values()
                          if o.customer_id in customer_ids}
        loose = customer_ids - set(self.customers)
        if loose:
            self.customers.update({c.pk: c for c in db.instances_where(
                Customer, tenant.pk, {"id__in": list(loose)})})
        self.recipients = RecipientFacts(
            self.customers.values(),
            [a for m in messages for a in (_listed_address(m), m.recipient)])
        self.reached: dict[tuple[int, str, str], set[int]] = {}
        repeat = {m.order_id for m in messages
                  if m.milestone in MARKETING_MILESTONES and m.order_id is not None}
        if repeat:
            _serialize_orders(repeat)
            statuses = (*REACHED_STATUSES, Message.Status.QUEUED) if pending_counts \
                else REACHED_STATUSES
            for pk, order_id, milestone, channel in db.values_where(
                    Message, tenant.pk, ("id", "order_id", "milestone", "channel"),
                    {"order_id__in": list(repeat),
                     "milestone__in": list(MARKETING_MILESTONES),
                     "status__in": list(statuses)}):
                self.reached.setdefault((order_id, milestone, channel), set()).add(pk)

    def count_as_reached(self, message: Message) -> None:
        if message.milestone in MARKETING_MILESTONES and message.order_id is not None:
            key = (message.order_id, message.milestone, message.channel)
            self.reached.setdefault(key, set()).add(message.pk)

    def shopper_reason(self, message: Message) -> str | None:
        """The checks the dispatcher always made first, in its own words."""
        address = _listed_address(message)
        listed = self.recipients.suppression_reasons.get((message.channel, address))
        if listed:
            return (f"{address} is on the suppression list "
                    f"({str(REASON_LABELS.get(listed, listed)).lower()}).")
        if message.customer_id is None:
            return None
        customer = self.customers.get(message.customer_id)
        if customer is None:
            return None
        if not getattr(customer, f"transactional_{message.channel}_consent", False):
            return (f"The shopper has not agreed to receive {message.get_channel_display()} "
                    "messages.")
        rule = self.rules.get(message.rule_id) if message.rule_id is not None else None
        if (rule is not None and _marketing_required(rule)
                and not getattr(customer, f"marketing_{message.channel}_consent", False)):
            return "The shopper has not agreed to marketing messages."
        turned_off = self.recipients.turned_off.get(customer.pk, set())
        if (message.milestone, message.channel) in turned_off:
            return "The shopper turned these messages off on the preferences page."
        return None

    def relevance(self, message: Message) -> str | None:
        rule = self.rules.get(message.rule_id) if message.rule_id is not None else None
        if message.dedup_key.startswith(Message.AGENT_KEY_PREFIX):
            # A member sent it knowing the order's state (Message.AGENT_KEY_PREFIX).
            return self._recipient_reason(message, rule)
        # No rule: a test send from the dashboard, or the rule was deleted since.
        return (_rule_reason(rule) or self._order_reason(message)
                or self._shipment_reason(message) or self._repeat_reason(message)
                or self._recipient_reason(message, rule))

    def _order_reason(self, message: Message) -> str | None:
        if message.order_id is None:
            return None
        return _order_reason(message, self.orders.get(message.order_id))

    def _shipment_reason(self, message: Message) -> str | None:
        if message.shipment_id is None:
            tracked = message.milestone in MILESTONE_STATUS or message.milestone in FLAG_MILESTONES
            return "The shipment no longer exists." if tracked else None
        return _shipment_reason(message, self.shipments.get(message.shipment_id))

    def _repeat_reason(self, message: Message) -> str | None:
        """An order in several parcels is delivered several times; the shopper is asked for a
        review (or offered a refill) once per order and channel."""
        if message.milestone not in MARKETING_MILESTONES or message.order_id is None:
            return None
        earlier = self.reached.get((message.order_id, message.milestone, message.channel),
                                   set()) - {message.pk}
        if earlier:
            return f"A “{milestone_label(message.milestone)}” for this order was already sent."
        return None

    def _recipient_reason(self, message: Message, rule: JourneyRule | None) -> str | None:
        customer = (self.customers.get(message.customer_id)
                    if message.customer_id is not None else None)
        addresses = {message.channel: message.recipient} if message.recipient else None
        checks = RecipientChecks(customer, channels=[message.channel], addresses=addresses,
                                 loaded=self.recipients)
        return checks.block_reason(message.milestone, message.channel,
                                   marketing_required=_marketing_required(rule))


# Namespace of the transaction-level advisory locks below (no other code takes these).
_REPEAT_LOCKS = 0x5245  # "RE"


def _serialize_orders(order_ids: set[int]) -> None:
    """Two batches claimed at once (SKIP LOCKED hands each its own rows) could each carry a
    review request for the same order and both find none sent yet. Inside a transaction,
    take a lock per order, in id order, before reading which went out: the second batch
    waits for the first to commit and then sees its message. Advisory, not the order rows:
    ingestion and erasure lock orders and then messages, which would risk a deadlock."""
    if not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, (o %% 2147483647)::int) "
            "FROM (SELECT o FROM unnest(%s::bigint[]) AS o ORDER BY o) AS ordered",
            [_REPEAT_LOCKS, sorted(order_ids)])


def _listed_address(message: Message) -> str:
    """The address as the suppression list keeps it (e-mail lower-cased)."""
    return message.recipient.lower() if message.channel == Channel.EMAIL else message.recipient


def _marketing_required(rule: JourneyRule | None) -> bool:
    return bool(rule is not None and isinstance(rule.conditions, dict)
                and rule.conditions.get("marketing_consent"))


def _rule_reason(rule: JourneyRule | None) -> str | None:
    if rule is None:
        return None
    if not rule.enabled:
        return f"The journey rule “{rule.name}” was turned off after this message was planned."
    if not rule.journey.enabled:
        return f"The journey “{rule.journey.name}” was turned off after this message was planned."
    return None


def _order_reason(message: Message, order: Order | None) -> str | None:
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


def _shipment_reason(message: Message, shipment: Shipment | None) -> str | None:
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
    if STATUS_RANK[current] > STATUS_RANK[expected]:
        return f"{already}, past “{milestone_label(message.milestone)}”."
    # Sideways on the last mile (out for delivery → at a pickup point) or a different end
    # (delivered → returned to sender) makes the message wrong too; problems stay news.
    if (STATUS_RANK[current] == STATUS_RANK[expected] and current != expected
            and current not in PROBLEM_STATUSES and expected not in PROBLEM_STATUSES
            and STATUS_RANK[current] >= STATUS_RANK[S.OUT_FOR_DELIVERY]):
        return f"{already}, not “{milestone_label(message.milestone)}”."
    return None
