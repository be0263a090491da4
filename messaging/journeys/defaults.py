"""The journey every new store starts with, and how it is installed (idempotently)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import time

from django.db import transaction

from orders.models import OrderMilestoneName
from returns.models import ReturnMilestone
from tenants.context import require_tenant
from tenants.models import Tenant
from tracking.statuses import Milestone

from ..models import Channel, Journey, JourneyRule, Template
from .quiet_hours import SMS_DEFAULT_QUIET_HOURS
from .triggers import JourneyTrigger

logger = logging.getLogger(__name__)

DEFAULT_JOURNEY_NAME = "Post-purchase journey"
REVIEW_REQUEST_DELAY_MINUTES = 3 * 24 * 60  # three days after delivery
EVENING_QUIET_HOURS = (time(21, 0), time(8, 0))


@dataclass(frozen=True)
class DefaultRule:
    trigger: str
    channel: str
    name: str
    delay_minutes: int = 0
    quiet_hours: tuple[time, time] | None = None
    conditions: dict = field(default_factory=dict)

    @property
    def template_key(self) -> str:
        return template_key(self.trigger, self.channel)


def template_key(milestone: str, channel: str) -> str:
    """The default template's key for a milestone and channel, as rendering names them:
    "out_for_delivery-sms"."""
    return f"{milestone}-{channel}"


M, E, SMS = Milestone, Channel.EMAIL, Channel.SMS
# E-mail for every milestone a shopper cares about; SMS for the three urgent ones of a parcel
# and every step of a return (it is only sent where the shopper consented to transactional
# SMS, which defaults to no). SMS and
# the review request (a marketing message) wait out the night in the shopper's time zone.
DEFAULT_RULES: tuple[DefaultRule, ...] = (
    DefaultRule(OrderMilestoneName.ORDER_CONFIRMED, E, "Order confirmed by e-mail"),
    DefaultRule(M.SHIPPED, E, "Shipped by e-mail"),
    DefaultRule(M.OUT_FOR_DELIVERY, E, "Out for delivery by e-mail"),
    DefaultRule(M.OUT_FOR_DELIVERY, SMS, "Out for delivery by SMS",
                quiet_hours=SMS_DEFAULT_QUIET_HOURS),
    DefaultRule(M.DELIVERED, E, "Delivered by e-mail"),
    DefaultRule(M.DELIVERED, SMS, "Delivered by SMS", quiet_hours=SMS_DEFAULT_QUIET_HOURS),
    DefaultRule(M.DELAYED, E, "Delayed by e-mail"),
    DefaultRule(M.DELAYED, SMS, "Delayed by SMS", quiet_hours=SMS_DEFAULT_QUIET_HOURS),
    DefaultRule(M.EXCEPTION, E, "Delivery problem by e-mail"),
    DefaultRule(M.AVAILABLE_FOR_PICKUP, E, "Ready for pickup by e-mail"),
    DefaultRule(JourneyTrigger.REVIEW_REQUEST, E, "Review request 3 days after delivery",
                delay_minutes=REVIEW_REQUEST_DELAY_MINUTES, quiet_hours=EVENING_QUIET_HOURS),
    # A message at every step of a return (returns/services), so the shopper always knows
    # what happens next; refund_delayed before they have to ask. By SMS too, where the shopper
    # consented to it: a return is money they wait for, worth a line on their phone.
    *(rule for milestone, label in ReturnMilestone.choices for rule in (
        DefaultRule(milestone, E, f"{label} by e-mail"),
        DefaultRule(milestone, SMS, f"{label} by SMS", quiet_hours=SMS_DEFAULT_QUIET_HOURS))),
)


def default_journey_install(tenant: Tenant) -> Journey:
    """Install the default templates and the default journey, once. Safe to call again (and
    concurrently): the journey is found by the one-default-per-tenant constraint and an
    existing one is left exactly as the retailer edited it; templates are the renderer's
    `default_templates_install`, which is idempotent too."""
    from ..rendering import default_templates_install

    require_tenant(tenant)
    with transaction.atomic():
        templates: dict[str, Template] = default_templates_install(tenant)
        existing = Journey.objects.filter(is_default=True).first()
        if existing is not None:
            return existing
        missing = sorted({r.template_key for r in DEFAULT_RULES} - set(templates))
        if missing:
            raise LookupError(f"default templates missing for the default journey: {missing}")
        journey, created = Journey.objects.get_or_create(
            tenant=tenant, is_default=True, defaults={"name": DEFAULT_JOURNEY_NAME})
        if not created:  # a concurrent install won the constraint
            return journey
        JourneyRule.objects.bulk_create([
            JourneyRule(
                tenant=tenant, journey=journey, name=rule.name, trigger=rule.trigger,
                channel=rule.channel, template=templates[rule.template_key],
                delay_minutes=rule.delay_minutes, conditions=dict(rule.conditions),
                quiet_hours_start=rule.quiet_hours[0] if rule.quiet_hours else None,
                quiet_hours_end=rule.quiet_hours[1] if rule.quiet_hours else None,
                position=position,
            )
            for position, rule in enumerate(DEFAULT_RULES)
        ])
        logger.info("default journey installed", extra={"tenant_id": tenant.pk,
                                                        "rules": len(DEFAULT_RULES)})
        return journey
