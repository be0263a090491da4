"""May this shopper be told this milestone on this channel? Consent, preferences, the
suppression list and an address to send to, checked when a message is planned and again
(through `message_relevance`) just before it is sent, so a STOP or an unsubscribe in between
is honoured.

Which consent a message needs (the mapping retailers see in docs/messaging.md):

    milestone                                   e-mail needs                 SMS needs
    review_request, replenish, upsell           marketing_email_consent      marketing_sms_consent
    every other milestone (about the order      transactional_email_consent  transactional_sms_consent
      the shopper placed: confirmed, shipped,
      delivered, delayed, returns, refunds, …)
    a rule with "marketing_consent": true       marketing_email_consent too  marketing_sms_consent too
"""

from __future__ import annotations

from collections.abc import Iterable

from config import db
from orders.models import Customer
from tenants.context import require_current_tenant

from ..models import Channel, MessagePreference, Suppression
from .triggers import TRIGGER_LABELS, JourneyTrigger

# Messages that sell rather than inform: they need marketing consent on their channel.
MARKETING_MILESTONES: frozenset[str] = frozenset(
    {JourneyTrigger.REVIEW_REQUEST, JourneyTrigger.REPLENISH, JourneyTrigger.UPSELL}
)
CHANNEL_WORDS = {Channel.EMAIL: "e-mail", Channel.SMS: "SMS"}
REASON_LABELS = dict(Suppression.Reason.choices)


def consent_needed(milestone: str, channel: str, *, marketing_required: bool = False) -> list[str]:
    """The Customer consent channels ("transactional_sms", …) a message needs, all of them."""
    if milestone in MARKETING_MILESTONES:
        return [f"marketing_{channel}"]
    needed = [f"transactional_{channel}"]
    if marketing_required:
        needed.append(f"marketing_{channel}")
    return needed


def recipient_address(customer: Customer | None, channel: str) -> str:
    """The address a message goes to: the e-mail lower-cased (as the suppression list keeps
    it), the phone number as stored (E.164); empty when the shopper has none."""
    if customer is None:
        return ""
    if channel == Channel.SMS:
        return customer.phone.strip()
    return customer.email.strip().lower()


def milestone_label(milestone: str) -> str:
    return TRIGGER_LABELS.get(milestone, milestone)


class RecipientFacts:
    """Preferences turned off and suppressed addresses for many shoppers at once: two queries
    for a whole batch (planning or dispatching), however many shoppers are in it, for the
    tenant in scope."""

    def __init__(self, customers: Iterable[Customer], addresses: Iterable[str]) -> None:
        tenant_id = require_current_tenant().pk
        ids = [customer.pk for customer in customers if customer is not None]
        self.turned_off: dict[int, set[tuple[str, str]]] = {}
        for customer_id, milestone, channel in db.values_where(
                MessagePreference, tenant_id, ("customer_id", "milestone", "channel"),
                {"customer_id__in": ids, "enabled": False}):
            self.turned_off.setdefault(customer_id, set()).add((milestone, channel))
        wanted = list({address for address in addresses if address})
        self.suppressed: dict[tuple[str, str], str] = {}
        self.suppression_reasons: dict[tuple[str, str], str] = {}
        if wanted:
            for channel, address, reason in db.values_where(
                    Suppression, tenant_id, ("channel", "address", "reason"),
                    {"address__in": wanted}):
                self.suppression_reasons[channel, address] = reason
                self.suppressed[channel, address] = str(REASON_LABELS.get(reason, reason))


class RecipientChecks:
    """The checks for one shopper, with their preferences and suppressions loaded once (two
    queries) however many rules ask."""

    def __init__(self, customer: Customer | None, *, channels: Iterable[str],
                 addresses: dict[str, str] | None = None,
                 loaded: RecipientFacts | None = None):
        """`addresses` overrides the shopper's current ones (a planned message keeps the
        address it was planned for, and that is the one that must not be suppressed).
        `loaded`: preferences and suppressions read for a whole batch (no queries here)."""
        self.customer = customer
        self.addresses = {channel: recipient_address(customer, channel) for channel in channels}
        self.addresses.update(addresses or {})
        self.turned_off: set[tuple[str, str]] = set()
        self.suppressed: dict[tuple[str, str], str] = {}
        if customer is None:
            return
        if loaded is not None:
            self.turned_off = loaded.turned_off.get(customer.pk, set())
            self.suppressed = loaded.suppressed
            return
        self.turned_off = {(p.milestone, p.channel) for p in MessagePreference.objects.filter(
            customer=customer, enabled=False)}
        addresses = [a for a in self.addresses.values() if a]
        if addresses:
            self.suppressed = {(s.channel, s.address): s.get_reason_display()
                               for s in Suppression.objects.filter(address__in=addresses)}

    def block_reason(self, milestone: str, channel: str, *,
                     marketing_required: bool = False) -> str | None:
        """Why this shopper may not be told (a sentence for the message log), or None."""
        word = CHANNEL_WORDS.get(channel, channel)
        if self.customer is None:
            return "No shopper is linked to this order, so there is nobody to tell."
        for consent in consent_needed(milestone, channel, marketing_required=marketing_required):
            if not self.customer.has_consent(consent):
                purpose = consent.split("_", 1)[0]
                return f"The shopper has not consented to {purpose} {word}."
        if (milestone, channel) in self.turned_off:
            return (f"The shopper turned off “{milestone_label(milestone)}” by {word} "
                    f"on the preferences page.")
        address = self.addresses.get(channel, "")
        if not address:
            return ("The shopper has no mobile number." if channel == Channel.SMS
                    else "The shopper has no e-mail address.")
        if (channel, address) in self.suppressed:
            return f"{address} is on the suppression list ({self.suppressed[channel, address]})."
        return None
