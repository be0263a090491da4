"""Writes of the tracking app: shipments, inbound webhooks, events, status and milestones.

    tenants.inbound edge ─▶ inbound_accept (verify, parse, store) ──▶ drain_kick
                                                          ──▶ [task] inbound_drain (drain.py)
                                                              └─ updates_apply_many
                                                                   ├─ events: INSERT … ON CONFLICT DO NOTHING
                                                                   └─ shipment_recompute (row lock)
                                                                        ├─ fold events in time order
                                                                        │   through status_transition_allowed
                                                                        └─ milestones: ON CONFLICT DO NOTHING,
                                                                           announced after commit

Recomputing the shipment from all of its stored events, in event-time order, is what makes
duplicates and out-of-order deliveries harmless: the result depends only on the set of events.
"""

from ..lookup.limits import lookup_wait
from .agents import PARCEL_MARKS, shipment_agent_mark
from .events import updates_apply, updates_apply_many
from .feedback import FeedbackClosed, FeedbackNotOpen, delivery_feedback_save
from .inbound import (
    GENERIC_SOURCE,
    SHOPIFY_SOURCE,
    generic_events_receive,
    inbound_accept,
    inbound_process,
    inbound_receive,
    source_parser,
)
from .shipments import (
    return_parcel_register,
    shipment_create,
    shipment_get_or_create,
    shipment_recompute,
    shipments_recompute,
)

__all__ = [
    "GENERIC_SOURCE", "SHOPIFY_SOURCE", "generic_events_receive", "inbound_accept",
    "inbound_process", "inbound_receive", "shipment_create", "shipment_get_or_create",
    "shipment_recompute", "shipments_recompute", "source_parser", "updates_apply",
    "updates_apply_many",
    # a return's parcel (returns/labels.py)
    "return_parcel_register",
    # what agents mark on a parcel (agents.py)
    "PARCEL_MARKS", "shipment_agent_mark",
    # delivery feedback (feedback.py)
    "FeedbackClosed", "FeedbackNotOpen", "delivery_feedback_save",
    # the shopper lookup's rate limit, also taken by the returns portal's (one budget)
    "lookup_wait",
]
