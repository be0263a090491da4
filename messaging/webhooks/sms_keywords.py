"""Texts from shoppers: keywords, their effects, and the TwiML answer.

A keyword is the whole text as one word, any case, surrounding spaces and a trailing "." or "!"
ignored ("stop", " Stop! "); "STOP PLEASE" is not a keyword (as at Twilio and the carriers).

    STOP STOPALL UNSUBSCRIBE CANCEL END QUIT REVOKE OPTOUT
        the number is suppressed (sms_stop) and both SMS consents go off (source: SMS
        keyword). No answer: Twilio confirms the opt-out itself and blocks what we would send.
    START YES UNSTOP
        the STOP suppression is lifted and transactional SMS consent is on again. No answer:
        Twilio confirms the opt-in itself.
    HELP INFO       answered with the brand's help text (name, sender, contact, STOP).
    WHERE STATUS    answered with the status, estimated delivery and tracking link of the
                    latest shipment of the shoppers with this number.
    anything else   kept as an event for the agent console, not answered: an automatic answer
                    to every text loops with auto-responders and costs a segment each time.

START restores transactional texts only: marketing texts need a fresh, explicit opt-in (the
preferences page or the store), since START is the reversal of a STOP, not a marketing yes.
The answers are in English (the shopper's locale is not known from a phone number alone).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from twilio.twiml.messaging_response import MessagingResponse

from orders.models import ConsentSource
from tenants.models import Tenant
from tenants.services import brand_get
from tracking.models import Shipment
from tracking.statuses import TrackingStatus

from ..models import Channel, Message, Suppression
from . import effects

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                     "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})
WHERE = frozenset({"WHERE", "STATUS"})
KEYWORDS = OPT_OUT | OPT_IN | HELP | WHERE


@dataclass(frozen=True)
class Answer:
    new: bool  # first time this text (MessageSid) arrived
    keyword: str | None
    twiml: str


def keyword_of(text: str) -> str | None:
    word = (text or "").strip().rstrip(".!").strip()
    if not word or any(ch.isspace() for ch in word):
        return None
    word = word.upper()
    return word if word in KEYWORDS else None


def _brand_words(tenant: Tenant) -> tuple[str, str]:
    brand = brand_get(tenant)
    return brand.sender_name or tenant.name, brand.reply_to or brand.sender_email


def help_text(tenant: Tenant) -> str:
    brand = brand_get(tenant)
    name, contact = _brand_words(tenant)
    sender = f" from {brand.sms_sender}" if brand.sms_sender else ""
    ask = f" Questions? {contact}." if contact else ""
    return (f"{name}: texts about your orders and deliveries{sender}.{ask} Reply WHERE for "
            "your latest delivery. Msg & data rates may apply. Reply STOP to opt out.")


def _day(value) -> str:
    return f"{value:%a} {value.day} {value:%b}"


def where_text(tenant: Tenant, phone: str) -> str:
    name, contact = _brand_words(tenant)
    customers = effects.customers_for_address(tenant, Channel.SMS, phone)
    shipment = (Shipment.objects.filter(order__customer__in=customers).select_related("order")
                .order_by("-created_at", "-pk").first())
    if shipment is None:
        ask = f" Questions? {contact}." if contact else ""
        return f"{name}: we could not find a delivery for this number.{ask}"
    order = f" order {shipment.order.number}" if shipment.order else ""
    status = TrackingStatus(shipment.status).label
    if shipment.status == TrackingStatus.DELIVERED and shipment.delivered_at:
        status += f" on {_day(timezone.localtime(shipment.delivered_at))}"
    estimate = shipment.carrier_estimated_delivery or shipment.promised_delivery
    when = (f" Estimated delivery: {_day(estimate)}."
            if estimate and shipment.status != TrackingStatus.DELIVERED else "")
    link = f"{settings.PUBLIC_BASE_URL}/t/{shipment.public_token}/?src=sms"  # a view from an SMS
    return f"{name}{order}: {status}.{when} Track it: {link}"


def _opt_out(tenant: Tenant, phone: str) -> None:
    effects.suppression_add(tenant, channel=Channel.SMS, address=phone,
                            reason=Suppression.Reason.SMS_STOP, source="twilio")
    effects.consent_set(tenant, effects.customers_for_address(tenant, Channel.SMS, phone),
                        ["transactional_sms", "marketing_sms"], False,
                        source=ConsentSource.SMS_KEYWORD)


def _opt_in(tenant: Tenant, phone: str) -> None:
    effects.suppression_remove(tenant, channel=Channel.SMS, address=phone,
                               reasons=[Suppression.Reason.SMS_STOP])
    effects.consent_set(tenant, effects.customers_for_address(tenant, Channel.SMS, phone),
                        ["transactional_sms"], True, source=ConsentSource.SMS_KEYWORD)


def inbound_sms_answer(tenant: Tenant, params: QueryDict) -> Answer:
    """Record a text (once per MessageSid), apply its keyword the first time, and answer.
    A repeated delivery is answered again (Twilio repeats when it did not get our answer)."""
    phone, body = params.get("From", "").strip(), params.get("Body", "")
    keyword = keyword_of(body)
    sid = params.get("MessageSid", "")
    # The latest text we sent this number: the reply shows beside it in the message log.
    latest = (Message.objects.filter(channel=Channel.SMS, recipient=phone)
              .order_by("-created_at", "-pk").values_list("pk", flat=True).first())
    new = effects.message_event_record(
        tenant, message_id=latest, kind="inbound_sms", source="twilio",
        occurred_at=timezone.now(), provider_event_id=f"inbound:{sid}" if sid else "",
        data={"from": phone, "to": params.get("To", ""), "body": body[:1600],
              "keyword": keyword or ""})
    if new and keyword in OPT_OUT:
        _opt_out(tenant, phone)
    elif new and keyword in OPT_IN:
        _opt_in(tenant, phone)
    reply = None
    if keyword in HELP:
        reply = help_text(tenant)
    elif keyword in WHERE:
        reply = where_text(tenant, phone)
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Answer(new, keyword, str(response))
