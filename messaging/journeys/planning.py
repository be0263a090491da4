"""From a milestone to Message rows: one per matching rule, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from config import db
from orders.models import Order
from tenants.context import require_tenant
from tenants.models import Tenant
from tracking.models import Shipment
from tracking.statuses import Milestone

from ..models import HOLDOUT_REASON, JourneyRule, Message
from .conditions import Facts, conditions_match, conditions_problems
from .quiet_hours import quiet_hours_release, recipient_timezone
from .recipients import RecipientChecks, RecipientFacts, recipient_address
from .triggers import JourneyTrigger

# Rules with these triggers are scheduled off the `delivered` milestone: due at the delivery
# time plus the rule's delay (review_request: 3 days by default).
AFTER_DELIVERY_TRIGGERS: tuple[str, ...] = (
    JourneyTrigger.REVIEW_REQUEST, JourneyTrigger.REPLENISH, JourneyTrigger.UPSELL,
)


# A milestone we hear of long after it happened is no news to the shopper: a store's order
# history imported, a carrier's backlog replayed, the demo's seeded parcels. Telling someone
# today that their parcel left in September is worse than saying nothing.
def stale_after() -> timedelta:
    """How late a message may be, past the time its rule meant it to go out, and still be
    planned (`MESSAGING_STALE_AFTER_HOURS`, default 24)."""
    return timedelta(hours=settings.MESSAGING_STALE_AFTER_HOURS)


def triggers_for(milestone: str) -> list[str]:
    """The rule triggers a milestone sets off: itself, and after-delivery rules on delivery."""
    if milestone == Milestone.DELIVERED:
        return [milestone, *AFTER_DELIVERY_TRIGGERS]
    return [milestone]


def message_dedup_key(rule_id: int, milestone: str, *, order_id: int | None,
                      shipment_id: int | None, return_id: int | None = None) -> str:
    """Exactly once per rule × shipment (or return, or order) × milestone, unique per tenant."""
    if return_id is not None:
        return f"rule:{rule_id}:return:{return_id}:{milestone}"
    if shipment_id is not None:
        return f"rule:{rule_id}:shipment:{shipment_id}:{milestone}"
    return f"rule:{rule_id}:order:{order_id}:{milestone}"


@dataclass(frozen=True)
class MilestoneReached:
    """One milestone to plan messages for (what the announcement hands over)."""

    milestone: str
    order: Order | None
    shipment: Shipment | None
    occurred_at: datetime
    # A return's milestone (returns.ReturnMilestoneRecord): its messages are once per return.
    return_id: int | None = None


def messages_plan(tenant: Tenant, *, milestone: str, order: Order | None = None,
                  shipment: Shipment | None = None, occurred_at: datetime,
                  now: datetime | None = None) -> list[Message]:
    """Create the Message rows a milestone calls for and return them (with their ids).

    For every enabled rule of an enabled journey whose trigger matches: a rule whose
    conditions do not hold is skipped (no row); otherwise a row is written, `scheduled` and
    due at `max(occurred_at + delay, now)` pushed out of the rule's quiet hours in the
    shopper's time zone, or `suppressed` with a readable `status_reason` (no consent, turned
    off, no address, on the suppression list, unreadable conditions) so the retailer sees why
    nobody was told. Rows are inserted with ON CONFLICT DO NOTHING on the dedup key: planning
    the same milestone again returns the rows of the first time and writes nothing.

    `now` is for a controlled clock in tests; it defaults to the current time. It runs in
    its caller's scope, the tenant's it is given (`require_tenant`).
    """
    require_tenant(tenant)
    return messages_plan_many(
        tenant, [MilestoneReached(milestone, order, shipment, occurred_at)], now=now)


def messages_plan_many(tenant: Tenant, reached: list[MilestoneReached], *,
                       now: datetime | None = None) -> list[Message]:
    """`messages_plan` for many milestones at once (an announcement batch): the rules, the
    shoppers' preferences and suppressions are read once, all rows go in one INSERT and come
    back in one SELECT, so a batch costs about five queries however large it is. Load each
    milestone's order with its customer beforehand (select_related) to keep it that way.
    Runs in the tenant's scope (the announcing task's, for the outbox receiver)."""
    items = []
    for item in reached:
        order = item.order
        if order is None and item.shipment is not None:
            order = item.shipment.order
        for owned in (order, item.shipment):
            if owned is not None and owned.tenant_id != tenant.pk:
                raise ValueError(f"{type(owned).__name__} {owned.pk} is not tenant {tenant.pk}'s")
        if order is None and item.shipment is None:
            raise ValueError("messages_plan needs an order or a shipment")
        items.append(MilestoneReached(item.milestone, order, item.shipment, item.occurred_at,
                                      item.return_id))
    if not items:
        return []
    now = now or timezone.now()
    triggers = {t for item in items for t in triggers_for(item.milestone)}
    rules_by_trigger: dict[str, list[JourneyRule]] = {}
    for rule in JourneyRule.objects.filter(
            enabled=True, journey__enabled=True, trigger__in=triggers,
    ).order_by("journey_id", "position"):
        rules_by_trigger.setdefault(rule.trigger, []).append(rule)
    if not rules_by_trigger:
        return []
    facts_of = [Facts(order=item.order, shipment=item.shipment) for item in items]
    customers = [facts.customer for facts in facts_of]
    channels = {rule.channel for rules in rules_by_trigger.values() for rule in rules}
    loaded = RecipientFacts(customers, [
        recipient_address(customer, channel) for customer in customers if customer
        for channel in channels])
    rows = []
    for item, facts, customer in zip(items, facts_of, customers, strict=True):
        rules = [rule for trigger in triggers_for(item.milestone)
                 for rule in rules_by_trigger.get(trigger, [])]
        if rules:
            rows += _rows_for(tenant, item, facts, customer, rules, loaded, now)
    if not rows:
        return []
    # ON CONFLICT DO NOTHING on the dedup key; the new rows' ids come back. Rows planned
    # before (the same milestone announced again) are read back as they are.
    new = dict(db.rows_insert(Message, tenant.pk, rows, conflict="tenant_id, dedup_key",
                              returning="dedup_key, id"))
    planned = []
    for row in rows:
        if row.dedup_key in new:
            row.pk = new[row.dedup_key]
            planned.append(row)
    db.saved(planned)
    earlier = [row.dedup_key for row in rows if row.dedup_key not in new]
    if earlier:
        planned += Message.objects.filter(dedup_key__in=earlier)
    return sorted(planned, key=lambda message: message.pk)


def _rows_for(tenant: Tenant, item: MilestoneReached, facts: Facts, customer, rules,
              loaded: RecipientFacts, now: datetime) -> list[Message]:
    order, shipment = item.order, item.shipment
    # Rules come back in (journey, position) order whatever their trigger: keep that order.
    rules = sorted(rules, key=lambda rule: (rule.journey_id, rule.position))
    checks = RecipientChecks(customer, channels={rule.channel for rule in rules}, loaded=loaded)
    zone = recipient_timezone(customer.timezone if customer else None, tenant.timezone)
    locale = (customer.locale if customer else "") or tenant.default_locale
    rows = []
    stale_before = now - stale_after()
    for rule in rules:
        if item.occurred_at + timedelta(minutes=rule.delay_minutes) < stale_before:
            # Too late to be news (see stale_after): no row, like a rule that does not
            # apply. Measured from when the rule meant to send, so a review request due
            # three days after a recent delivery still goes.
            continue
        problems = conditions_problems(rule.conditions)
        if problems:
            reason = "The rule's conditions cannot be read: " + "; ".join(
                f"{key}: {' '.join(texts)}" for key, texts in problems.items())
        elif not conditions_match(rule.conditions, facts):
            continue  # the rule is not for this order: nobody was meant to be told
        else:
            reason = checks.block_reason(
                rule.trigger, rule.channel,
                marketing_required=bool(rule.conditions.get("marketing_consent")))
            if reason is None and rule.holds_out(customer.pk if customer else None):
                reason = HOLDOUT_REASON
        # Never due in the past: a milestone announced late is sent now, and quiet hours
        # apply to when it actually goes out, not to when the parcel moved.
        due_at = max(item.occurred_at + timedelta(minutes=rule.delay_minutes), now)
        due_at = quiet_hours_release(due_at, zone, rule.quiet_hours_start, rule.quiet_hours_end)
        rows.append(Message(
            tenant=tenant, rule=rule, channel=rule.channel, milestone=rule.trigger,
            order=order, shipment=shipment, customer=customer, return_request_id=item.return_id,
            recipient=checks.addresses.get(rule.channel, ""),
            dedup_key=message_dedup_key(
                rule.pk, rule.trigger, order_id=order.pk if order else None,
                shipment_id=shipment.pk if shipment else None, return_id=item.return_id),
            status=Message.Status.SUPPRESSED if reason else Message.Status.SCHEDULED,
            status_reason=(reason or "")[:500], due_at=due_at, locale=locale,
        ))
    return rows
