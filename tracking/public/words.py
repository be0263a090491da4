"""What the tracking page says, in plain words, through Django's gettext catalogues (locale/):
the status headline, each step of the way, and, when something is wrong, what happened and
what happens next, written per cause (who caused it decides the tone and who acts).

Lazy strings: each is translated when the page is rendered, in the page's language.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..statuses import ExceptionCause, TrackingStatus

S = TrackingStatus
C = ExceptionCause

# The headline: where the parcel is, as a shopper would say it.
HEADLINES = {
    S.PENDING: _("Your parcel is being prepared"),
    S.IN_TRANSIT: _("Your parcel is on its way"),
    S.OUT_FOR_DELIVERY: _("Your parcel is out for delivery"),
    S.AVAILABLE_FOR_PICKUP: _("Your parcel is ready to collect"),
    S.DELIVERED: _("Your parcel was delivered"),
    S.ATTEMPT_FAILED: _("The carrier could not deliver your parcel"),
    S.EXCEPTION: _("There is a problem with your parcel"),
    S.RETURNED_TO_SENDER: _("Your parcel is going back to the shop"),
    S.CANCELLED: _("This shipment was cancelled"),
    S.EXPIRED: _("The carrier no longer tracks this parcel"),
    S.UNKNOWN: _("We are waiting for news from the carrier"),
}
DELAYED_HEADLINE = _("Your parcel is running late")
STALLED_HEADLINE = _("No news from the carrier for a while")

# Our plain name of each status, used in the timeline beside the carrier's own words.
STATUS_NAMES = {
    S.PENDING: _("Label created"),
    S.IN_TRANSIT: _("On its way"),
    S.OUT_FOR_DELIVERY: _("Out for delivery"),
    S.AVAILABLE_FOR_PICKUP: _("Ready to collect"),
    S.DELIVERED: _("Delivered"),
    S.ATTEMPT_FAILED: _("Delivery attempt failed"),
    S.EXCEPTION: _("Delivery problem"),
    S.RETURNED_TO_SENDER: _("Returning to the shop"),
    S.CANCELLED: _("Cancelled"),
    S.EXPIRED: _("No longer tracked"),
    S.UNKNOWN: _("Update from the carrier"),
}

# The steps of the progress bar. The last mile and the end are named for what they are: a
# pickup point is "ready to collect" then "collected", not "out for delivery".
STEP_ORDERED = _("Ordered")
STEP_SHIPPED = _("Shipped")
STEP_IN_TRANSIT = _("In transit")
STEP_OUT_FOR_DELIVERY = _("Out for delivery")
STEP_READY_FOR_PICKUP = _("Ready to collect")
STEP_DELIVERED = _("Delivered")
STEP_COLLECTED = _("Collected")
STEP_RETURNING = _("Returning to the shop")
STEP_DONE = pgettext_lazy("progress step state, for screen readers", "done")
STEP_CURRENT = pgettext_lazy("progress step state, for screen readers", "current step")
STEP_PROBLEM = pgettext_lazy("progress step state, for screen readers", "problem here")
STEP_TODO = pgettext_lazy("progress step state, for screen readers", "not yet")

# When something is wrong: (what happened, what happens next). Honest, specific, and never a
# promise the carrier has not made.
EXPLANATIONS = {
    ("exception", C.CARRIER): (
        _("The carrier ran into a problem with your parcel in its network, for example a "
          "delay at a depot or a wrong turn in sorting."),
        _("The carrier is working on it; you do not need to do anything. We will tell you as "
          "soon as it moves again.")),
    ("exception", C.RETAILER): (
        _("Something went wrong on our side with the label or the paperwork of your parcel."),
        _("We are sorting it out with the carrier; you do not need to do anything. We will "
          "tell you when it is on its way again.")),
    ("exception", C.RECIPIENT): (
        _("The carrier needs something from you before it can deliver, for example a "
          "corrected address or import duties paid."),
        _("Read the carrier's note below. If anything is unclear, contact us and we will "
          "help.")),
    ("exception", C.CUSTOMS): (
        _("Your parcel is being checked by customs. This is normal for parcels that cross a "
          "border."),
        _("It usually takes a few working days. If duties are due, the carrier will ask you "
          "for them; you do not need to do anything before that.")),
    ("exception", C.WEATHER): (
        _("Bad weather is slowing deliveries on your parcel's route."),
        _("Your parcel will move again as soon as it is safe; you do not need to do anything. "
          "We will tell you when it does.")),
    ("exception", C.OTHER): (
        _("Something unexpected happened to your parcel on its way."),
        _("We are watching it and will tell you what happens next. If you have a question, "
          "contact us.")),
    ("attempt_failed", ""): (
        _("The carrier tried to deliver your parcel but could not hand it over."),
        _("Carriers usually try again on the next working day, or leave it at a pickup point "
          "nearby: look for a card or a message from them.")),
    ("returned_to_sender", ""): (
        _("Your parcel is on its way back to the shop and will not be delivered."),
        _("Once it arrives, the shop will contact you about a new delivery or a refund. If you "
          "did not expect this, contact us.")),
    ("delayed", ""): (
        _("Your parcel is taking longer than planned."),
        _("It is still on its way. We will show the new date here as soon as the carrier "
          "gives one.")),
    ("stalled", ""): (
        _("The carrier has not scanned your parcel for a while. Parcels waiting at a depot "
          "often go a day or two without a scan."),
        _("We are keeping an eye on it and will tell you if it does not move again soon.")),
    ("cancelled", ""): (
        _("The shipping label for this parcel was cancelled."),
        _("If you did not expect this, contact us.")),
    ("expired", ""): (
        _("The carrier has stopped sending updates for this parcel."),
        _("If it has not arrived, contact us and we will find out what happened.")),
}

CAUSE_NAMES: dict[C, Promise | str] = {
    C.CARRIER: _("Caused by: the carrier"),
    C.RETAILER: _("Caused by: the shop"),
    C.RECIPIENT: _("The carrier needs you"),
    C.CUSTOMS: _("Caused by: customs"),
    C.WEATHER: _("Caused by: the weather"),
    C.OTHER: "",
}

# The estimated delivery, and where the date comes from (honesty: whose estimate it is).
ETA_CARRIER = _("Estimated delivery")
ETA_CARRIER_SOURCE = _("The carrier's estimate")
ETA_PROMISED = _("Expected delivery")
ETA_PROMISED_SOURCE = _("The date the shop gave when you ordered")
ETA_NONE = _("We will show a delivery date as soon as the carrier gives one.")
ETA_WAS_DUE = _("It was due on %(date)s.")
DELIVERED_ON = _("Delivered")

HOW_TO_KINDS = {"video": _("Video"), "guide": _("Guide"), "how_to": _("How-to")}
