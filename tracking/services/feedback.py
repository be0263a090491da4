"""The shopper's rating of a delivery (DeliveryFeedback): one per shipment, given once the
parcel is delivered, changeable for DeliveryFeedback.EDIT_DAYS (14) after it was first given.

    delivery_feedback_save ─▶ row (the unique constraint decides create vs change, under a
                              row lock) ─▶ the order's timeline ("Delivery rated 2/5", flagged
                              low for agents at <= LOW_RATING); the cached tracking page
                              is forgotten after commit (tracking/public/receivers.py)
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import ApplicationError, ValidationFailed
from orders.models import OrderEvent
from orders.services import order_event_record
from tenants.models import Tenant

from ..models import DeliveryFeedback, Shipment
from ..statuses import TrackingStatus

COMMENT_MAX = 2000
SHOPPER = "shopper"  # the actor on the order's timeline: the shopper, through the tracking page


class FeedbackNotOpen(ApplicationError):
    """Not delivered yet: there is nothing to rate."""

    code = "feedback_not_open"
    status = 409


class FeedbackClosed(ApplicationError):
    """Given more than DeliveryFeedback.EDIT_DAYS ago: kept as it is."""

    code = "feedback_closed"
    status = 409


def _clean(rating: object, comment: object) -> tuple[int, str]:
    errors: dict[str, list[str]] = {}
    stars = rating if isinstance(rating, int) and not isinstance(rating, bool) else 0
    if not 1 <= stars <= 5:
        errors["rating"] = ["Choose from 1 to 5 stars."]
    comment = "\n".join(line.rstrip() for line in str(comment or "").strip().splitlines())
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [f"Keep the comment to {COMMENT_MAX} characters."]
    if errors:
        raise ValidationFailed("Some fields are not valid; see details.", details=errors)
    return stars, comment


def delivery_feedback_save(tenant: Tenant, shipment: Shipment, *, rating: object,
                           comment: object = "", now: datetime | None = None) -> DeliveryFeedback:
    """Give or change the shipment's rating. Raises ValidationFailed (bad rating or comment),
    FeedbackNotOpen (not delivered) or FeedbackClosed (given too long ago)."""
    rating, comment = _clean(rating, comment)
    now = now or timezone.now()
    with transaction.atomic():
        feedback, previous = _locked_or_created(tenant, shipment, rating, comment)
        if previous is not None:  # a change of an earlier rating
            if now >= feedback.editable_until:
                raise FeedbackClosed("This rating can no longer be changed.")
            if (feedback.rating, feedback.comment) == (rating, comment):
                return feedback
            feedback.rating, feedback.comment = rating, comment
            feedback.low = rating <= DeliveryFeedback.LOW_RATING
            feedback.save(update_fields=["rating", "comment", "low", "updated_at"])
        if shipment.order_id:
            order_event_record(tenant, shipment.order_id, OrderEvent.Kind.FEEDBACK,
                               _summary(shipment, feedback, previous), actor=SHOPPER,
                               occurred_at=now, data={
                                   "shipment_id": shipment.pk, "rating": feedback.rating,
                                   "previous_rating": previous, "comment": feedback.comment,
                                   "low": feedback.low})
    return feedback


def _locked_or_created(tenant: Tenant, shipment: Shipment, rating: int,
                       comment: str) -> tuple[DeliveryFeedback, int | None]:
    """The shipment's rating, locked, with its rating before this change; or a new one (and
    None). The unique constraint decides between two first ratings sent at once."""
    feedback = DeliveryFeedback.objects.select_for_update().filter(shipment=shipment).first()
    if feedback is not None:
        return feedback, feedback.rating
    if shipment.status != TrackingStatus.DELIVERED:
        raise FeedbackNotOpen("This parcel has not been delivered yet.")
    try:
        with transaction.atomic():  # a savepoint: the losing insert leaves the outer intact
            return DeliveryFeedback.objects.create(
                tenant=tenant, shipment=shipment, rating=rating, comment=comment,
                low=rating <= DeliveryFeedback.LOW_RATING), None
    except IntegrityError:
        feedback = DeliveryFeedback.objects.select_for_update().get(shipment=shipment)
        return feedback, feedback.rating


def _summary(shipment: Shipment, feedback: DeliveryFeedback, previous: int | None) -> str:
    said = f": “{feedback.comment}”" if feedback.comment else ""
    flag = "Low rating. " if feedback.low else ""
    if previous is None:
        return f"{flag}Delivery of {shipment.tracking_number} rated {feedback.rating}/5{said}"
    return (f"{flag}Delivery rating of {shipment.tracking_number} changed from {previous}/5 "
            f"to {feedback.rating}/5{said}")


