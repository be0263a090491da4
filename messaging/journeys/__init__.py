"""Journeys: from a milestone to the Message rows it calls for, and back at send time.

    a batch of milestone rows, outbox kinds        (milestones.py: the processors, in the
    tracking.shipment_milestone,                    draining transaction)
    orders.order_milestone
        ▼
    planning.messages_plan ── rules (enabled, trigger; review_request/replenish/upsell off
        │                        `delivered`) ── more than a day past the rule's time
        │                        (stale_after) ── no row ── conditions.conditions_match ── no: no row
        │                     ── recipients.RecipientChecks (consent, preferences,
        │                        address, suppression list) ── blocked: `suppressed` + reason
        │                     ── due = max(occurred_at + delay, now), then
        │                        quiet_hours.quiet_hours_release in the shopper's time zone
        ▼
    Message rows (ON CONFLICT DO NOTHING on rule × shipment/order × milestone)
        ▼  dispatcher, just before sending
    relevance.message_relevance ── still worth sending? (shipment moved past it, order
                                   cancelled, consent withdrawn, STOP, …)

    defaults.default_journey_install: the default templates and journey of a new store.

Inside: triggers.py (what a rule can react to, and which app defines each), milestones.py
(the outbox processors), conditions.py (the rule conditions and their validation),
quiet_hours.py, recipients.py (consent mapping, preferences, suppressions), planning.py,
relevance.py, defaults.py.
"""

from .conditions import conditions_clean, conditions_match, conditions_problems
from .defaults import DEFAULT_RULES, default_journey_install, template_key
from .planning import AFTER_DELIVERY_TRIGGERS, message_dedup_key, messages_plan, triggers_for
from .quiet_hours import SMS_DEFAULT_QUIET_HOURS, quiet_hours_release, recipient_timezone
from .recipients import MARKETING_MILESTONES, consent_needed
from .relevance import message_relevance

__all__ = [
    "AFTER_DELIVERY_TRIGGERS", "DEFAULT_RULES", "MARKETING_MILESTONES", "SMS_DEFAULT_QUIET_HOURS",
    "conditions_clean", "conditions_match", "conditions_problems", "consent_needed",
    "default_journey_install", "message_dedup_key", "message_relevance", "messages_plan",
    "quiet_hours_release", "recipient_timezone", "template_key", "triggers_for",
]
