"""A journey rule's triggers: every milestone of DESIGN.md, each defined by the app that owns
it, offered once, in the order of a purchase's life."""

from __future__ import annotations

from messaging.journeys.triggers import TRIGGER_CHOICES, TRIGGERS, JourneyTrigger
from orders.models import OrderMilestoneName
from returns.models import ReturnMilestone
from tracking.statuses import Milestone


def test_every_milestone_in_the_design_is_a_trigger():
    assert {
        "order_confirmed",
        "shipped", "in_transit", "out_for_delivery", "available_for_pickup", "delivered",
        "attempt_failed", "exception", "delayed", "stalled", "returned_to_sender",
        "review_request", "replenish", "upsell",
        "return_requested", "return_approved", "return_rejected", "return_label_ready",
        "return_received",
        "refund_issued", "refund_delayed",
    } == TRIGGERS


def test_each_trigger_is_defined_once_by_its_owner():
    owners = {"orders": set(OrderMilestoneName.values), "tracking": set(Milestone.values),
              "messaging": set(JourneyTrigger.values), "returns": set(ReturnMilestone.values)}
    assert len(TRIGGER_CHOICES) == len(TRIGGERS) == sum(len(v) for v in owners.values())
    assert owners["messaging"] == {"review_request", "replenish", "upsell"}
    assert TRIGGER_CHOICES[0] == ("order_confirmed", "Order confirmed")  # the editor's default
