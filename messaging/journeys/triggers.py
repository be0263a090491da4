"""What a journey rule can react to (its trigger): the milestones the apps below define, in
the order of a purchase's life, and messaging's own triggers.

    orders.models.OrderMilestoneName   order_confirmed
    tracking.statuses.Milestone        shipped … returned_to_sender (each once per shipment)
    JourneyTrigger (here)              review_request, replenish, upsell: no app reaches them;
                                       planning schedules them off `delivered` (triggers_for)
    returns.models.ReturnMilestone     return_requested … refund_delayed
"""

from __future__ import annotations

from django.db import models

from orders.models import OrderMilestoneName
from returns.models import ReturnMilestone
from tracking.statuses import Milestone


class JourneyTrigger(models.TextChoices):
    """Messaging's own triggers: rules scheduled a delay after the shipment's delivery."""

    REVIEW_REQUEST = "review_request", "Review request"
    REPLENISH = "replenish", "Replenish"
    UPSELL = "upsell", "Upsell"


# (value, label) of every trigger, as the journey editor and the API offer them.
TRIGGER_CHOICES: list[tuple[str, str]] = [
    *OrderMilestoneName.choices, *Milestone.choices, *JourneyTrigger.choices,
    *ReturnMilestone.choices,
]
TRIGGERS: frozenset[str] = frozenset(value for value, _ in TRIGGER_CHOICES)
TRIGGER_LABELS: dict[str, str] = dict(TRIGGER_CHOICES)
