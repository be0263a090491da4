"""The portal's sentences that depend on data (templates hold the fixed ones): what happens
next per status, the refusals in the shopper's words, amounts per resolution."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Resolution, ReturnMethod, ReturnStatus
from ..policy import Quote

S = ReturnStatus
NEXT = {
    S.REQUESTED: _("We have your request and will confirm it shortly."),
    S.NEEDS_REVIEW: _("A person at the shop is looking at your request; you will hear from us "
                      "by e-mail, usually within two working days."),
    S.APPROVED: _("Your return is approved. Pack the items and send them to the address below."),
    S.LABEL_READY: _("Your label is ready. Print it, stick it on the parcel and drop it off."),
    S.IN_TRANSIT: _("Your parcel is on its way back to us. We will tell you when it arrives."),
    S.RECEIVED: _("We have received your parcel and are checking the items. You will hear "
                  "from us when your refund, credit or exchange is on its way."),
    S.REFUNDED: _("Your refund has been issued. Depending on your bank it shows within a few days."),
    S.CREDITED: _("Your store credit has been issued."),
    S.EXCHANGED: _("Your exchange is on its way."),
    S.REJECTED: _("We could not accept this return."),
    S.CANCELLED: _("This return was cancelled."),
}
KEEP_NEXT = _("Your return is approved: keep the items, nothing needs to be sent back. Your "
              "refund follows shortly.")

LABEL_PREPARING = _("Your label is being prepared. This page shows it as soon as it is "
                    "ready, and we e-mail it to you.")
LABEL_RETRYING = _("The carrier's system did not answer yet. We keep trying and e-mail you "
                   "the label as soon as we have it.")
LABEL_GAVE_UP = _("We could not get a label from the carrier. Please send the parcel to the "
                  "address below; the shop has been told.")

REFUSED = {
    "quantity_too_high": _("You chose more of an item than can be returned."),
    "quantity_too_low": _("Choose how many of the item you are returning."),
    "reason_not_offered": _("Choose a reason for each item."),
    "no_items": _("Choose at least one item to return."),
    "resolution_not_allowed": _("Choose one of the options offered for these items."),
    "photo_required": _("Add a photo of each damaged or wrong item."),
    "exchange_not_available": _("Choose a size or colour that is in stock."),
    "label_not_available": _("Prepaid labels are not available; choose to ship it yourself."),
    "method_mismatch": _("Choose how the items come back."),
    "method_unknown": _("Choose how the items come back."),
    "returns_disabled": _("This shop does not take returns online."),
    "photo_too_large": _("This photo is too large; send one under 10 MB."),
    "not_an_image": _("Send a photo (JPEG, PNG or WebP)."),
}
REFUSED_ANY = _("This return cannot be made. Check the items and try again.")


def refused_text(code: str, fallback: str = "") -> str:
    """A refusal in the shopper's words; the policy's own (already translated) for an item
    that cannot go back."""
    found = REFUSED.get(code)
    return str(found) if found else (fallback or str(REFUSED_ANY))


def money(amount: Decimal, currency: str) -> str:
    return f"{formats.number_format(amount, 2, use_l10n=True)} {currency}"


def option_text(resolution: str, q: Quote, currency: str) -> tuple[str, str]:
    """(what the shopper gets, the fine print) for one resolution's quote."""
    if resolution == Resolution.REFUND:
        note = (gettext("A return fee of %(fee)s is deducted.") % {"fee": money(q.fee, currency)}
                if q.fee else gettext("No fee."))
        return gettext("%(amount)s back to your original payment") % {
            "amount": money(q.refund, currency)}, note
    if resolution == Resolution.STORE_CREDIT:
        note = (gettext("Includes a bonus of %(bonus)s.") % {"bonus": money(q.bonus, currency)}
                if q.bonus else gettext("Spend it on anything in the shop."))
        return gettext("%(amount)s store credit") % {"amount": money(q.credit, currency)}, note
    if resolution == Resolution.EXCHANGE:
        return gettext("Exchange for another size or colour"), gettext(
            "Free. We send the new item when yours arrives.")
    return gettext("Keep the items and get %(amount)s back") % {
        "amount": money(q.refund, currency)}, gettext("Nothing to send back.")


def method_text(method: str) -> str:
    return str(ReturnMethod(method).label)
