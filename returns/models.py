"""Returns. Its models (policy, request and lines, labels) come with the returns portal; what
exists already is the vocabulary of a return's milestones, which messaging offers as journey
triggers (messaging/journeys/triggers.py) until returns records and announces them."""

from __future__ import annotations

from django.db import models


class ReturnMilestone(models.TextChoices):
    RETURN_REQUESTED = "return_requested", "Return requested"
    RETURN_APPROVED = "return_approved", "Return approved"
    RETURN_LABEL_READY = "return_label_ready", "Return label ready"
    RETURN_RECEIVED = "return_received", "Return received"
    REFUND_ISSUED = "refund_issued", "Refund issued"
    # The refund was promised by a date that passed (derived, like a shipment's `delayed`).
    REFUND_DELAYED = "refund_delayed", "Refund delayed"
