"""Twilio: `/webhooks/twilio/<tenant-slug>/status/` (delivery reports) and `…/inbound/` (texts
from shoppers), both verified with `X-Twilio-Signature`.

    store raw ─▶ verify (HMAC-SHA1 over the PUBLIC URL + sorted form params; RequestValidator)
              ├─ status:  store once by (MessageSid, MessageStatus) ─▶ move the message forward
              └─ inbound: store once by MessageSid ─▶ keywords (sms_keywords.py) ─▶ TwiML reply

The URL Twilio signed is the one we gave it, built on `PUBLIC_BASE_URL` (the dispatcher adds
`?m=<message id>` to status callback URLs), so we rebuild it from that setting, never from the
Host header a proxy may rewrite. Accepted signing keys: the store's own Twilio auth token (its
own account sends) and the platform's `TWILIO_AUTH_TOKEN` (the platform account sends for
stores without their own); another store's token is refused.

Received through the shared edge (tenants/inbound.py; two sources registered in apps.py,
"twilio-status" and "twilio-inbound", both stored as source "twilio"). Answers: 401 signature
missing or wrong, 400 without the fields we need; status callbacks 200 when applied, 204 when
no message of this store matches or the status means nothing to us; inbound texts 200 with
TwiML (an empty <Response/> when there is nothing to say).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from config.untrusted import digits_int, text_has_nul
from orders.models import ConsentSource
from tenants.inbound import Receipt, inbound_finish, inbound_headers
from tenants.models import InboundWebhook, Tenant
from tenants.services import credential_fields

from ..models import Channel, Message, Suppression
from . import effects
from .sms_keywords import inbound_sms_answer

SOURCE = "twilio"
SIGNATURE_HEADER = "x-twilio-signature"

S = Message.Status
# MessageStatus → ours. Twilio's queued/accepted/sending/sent all mean "the provider has it",
# which is our `sent`; `read` (WhatsApp, RCS) is the nearest thing to an open.
STATUS_FOR_TWILIO = {
    "accepted": S.SENT, "queued": S.SENT, "sending": S.SENT, "sent": S.SENT,
    "delivered": S.DELIVERED, "read": S.OPENED,
    "undelivered": S.FAILED, "failed": S.FAILED, "canceled": S.FAILED,
}
# Error codes that say the number must not be tried again.
SUPPRESSION_FOR_ERROR = {
    "21610": Suppression.Reason.SMS_STOP,  # the recipient replied STOP to this sender
    "21211": Suppression.Reason.INVALID,  # not a valid phone number
    "21614": Suppression.Reason.INVALID,  # not a mobile number
    "30006": Suppression.Reason.INVALID,  # landline or unreachable carrier
}
ERROR_WORDS = {
    "21610": "the recipient replied STOP", "21211": "invalid phone number",
    "21614": "not a mobile number", "30003": "unreachable handset", "30004": "message blocked",
    "30005": "unknown handset", "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier", "30008": "unknown error",
}


def auth_tokens(tenant: Tenant) -> list[str]:
    tokens = [(credential_fields(tenant, SOURCE) or {}).get("auth_token", ""),
              settings.TWILIO_AUTH_TOKEN]
    return [t for t in tokens if t]


def public_url(tenant: Tenant, route: str, query: str) -> str:
    path = reverse(route, kwargs={"tenant_slug": tenant.slug})
    return f"{settings.PUBLIC_BASE_URL}{path}" + (f"?{query}" if query else "")


def verify(tenant: Tenant, inbound: InboundWebhook, route: str) -> QueryDict | Receipt:
    """The form parameters if the signature matches one of the accepted tokens; else the
    refusal, recorded on the stored row."""
    tokens = auth_tokens(tenant)
    signature = inbound_headers(inbound).get(SIGNATURE_HEADER, "")
    try:
        params = QueryDict(bytes(inbound.body).decode("utf-8"))
    except UnicodeDecodeError:
        params = None
    url = public_url(tenant, route, inbound.query)
    if not tokens:
        return inbound_finish(inbound, InboundWebhook.Status.REJECTED,
                              "No Twilio auth token is configured.")
    if not signature or params is None or not any(
            RequestValidator(token).validate(url, params, signature) for token in tokens):
        return inbound_finish(
            inbound, InboundWebhook.Status.REJECTED,
            f"The signature does not match this store's Twilio auth token for {url}.")
    if text_has_nul(*(value for values in params.lists() for value in values[1])):
        return inbound_finish(inbound, InboundWebhook.Status.INVALID,
                              "A parameter contains a NUL character, which text fields cannot hold.")
    return params


def _message_for(params: QueryDict, query: QueryDict) -> Message | None:
    """`?m=<id>` from our callback URL, cross-checked with MessageSid; else by MessageSid."""
    sid = params.get("MessageSid", "")
    ours = digits_int(query.get("m", ""))
    if ours is not None:
        message = Message.objects.filter(pk=ours, channel=Channel.SMS).first()
        if message is not None and (not message.provider_message_id
                                    or message.provider_message_id == sid):
            return message
    return Message.objects.filter(provider=SOURCE, provider_message_id=sid).first() if sid else None


def _reason(status: str, code: str) -> str:
    if not code:
        return f"Twilio: {status}"
    return f"Twilio: {status}, error {code}" + (f" ({ERROR_WORDS[code]})" if code in ERROR_WORDS
                                               else "")


def status_receive(tenant: Tenant, inbound: InboundWebhook) -> Receipt:
    """A stored delivery report, verified and applied (answered 200 with no body)."""
    params = verify(tenant, inbound, "webhook-twilio-status")
    if isinstance(params, Receipt):
        return params
    sid, twilio_status = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or not twilio_status:
        return inbound_finish(inbound, InboundWebhook.Status.INVALID,
                              "MessageSid and MessageStatus are required.")
    code = params.get("ErrorCode", "")
    message = _message_for(params, QueryDict(inbound.query))
    event_id, now = f"{sid}:{twilio_status}", timezone.now()
    with transaction.atomic():
        new = effects.message_event_record(
            tenant, message_id=message.pk if message else None, kind=twilio_status,
            source=SOURCE, occurred_at=now, provider_event_id=event_id,
            data={k: params.get(k) for k in params})
        if new and message is not None:
            # A crash before the send was recorded leaves no provider id: Twilio tells us it.
            Message.objects.filter(pk=message.pk, provider_message_id="").update(
                provider_message_id=sid, provider=SOURCE)
            ours = STATUS_FOR_TWILIO.get(twilio_status)
            if ours:
                effects.message_status_advance(
                    tenant, message.pk, ours, at=now,
                    reason=_reason(twilio_status, code) if ours == S.FAILED else "")
        suppression = SUPPRESSION_FOR_ERROR.get(code)
        to = params.get("To", "") or (message.recipient if message else "")
        if new and suppression:
            effects.suppression_add(tenant, channel=Channel.SMS, address=to, reason=suppression,
                                    source=SOURCE)
        if new and suppression == Suppression.Reason.SMS_STOP:
            customers = effects.customers_for_address(
                tenant, Channel.SMS, to, customer_id=message.customer_id if message else None)
            effects.consent_set(tenant, customers, ["transactional_sms", "marketing_sms"], False,
                                source=ConsentSource.SMS_KEYWORD)
    if message is None or twilio_status not in STATUS_FOR_TWILIO:
        return inbound_finish(inbound, InboundWebhook.Status.IGNORED,
                              "No message of this store has this id." if message is None
                              else f"Status {twilio_status!r} changes nothing.",
                              created=int(new), event_id=event_id)
    receipt = inbound_finish(
        inbound, InboundWebhook.Status.PROCESSED if new else InboundWebhook.Status.DUPLICATE,
        "" if new else "This status arrived before.", created=int(new), event_id=event_id)
    return Receipt(receipt.status, receipt.message, reply=HttpResponse(status=200))


def inbound_receive(tenant: Tenant, inbound: InboundWebhook) -> Receipt:
    """A stored text from a shopper, verified and answered: the receipt's reply is the TwiML
    (on a replay nothing is sent; opting out or in again changes nothing)."""
    params = verify(tenant, inbound, "webhook-twilio-inbound")
    if isinstance(params, Receipt):
        return params
    if not params.get("From"):
        return inbound_finish(inbound, InboundWebhook.Status.INVALID, "From is required.")
    with transaction.atomic():
        answer = inbound_sms_answer(tenant, params)
    receipt = inbound_finish(
        inbound, InboundWebhook.Status.PROCESSED if answer.new else InboundWebhook.Status.DUPLICATE,
        "" if answer.new else "This text arrived before.", created=int(answer.new),
        event_id=params.get("MessageSid", ""))
    return Receipt(receipt.status, receipt.message,
                   reply=HttpResponse(answer.twiml, content_type="text/xml; charset=utf-8"))
