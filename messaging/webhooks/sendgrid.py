"""SendGrid's signed Event Webhook: `POST /webhooks/sendgrid/<tenant-slug>/`.

    store raw ─▶ verify (ECDSA P-256, SHA-256 over timestamp ‖ raw body, the store's key)
              ─▶ parse (a JSON array of events) ─▶ per event: store once by sg_event_id
                                                   └─ new: move the message, suppress, consent

Received through the shared edge (tenants/inbound.py; registered in apps.py). Answers: 401
signature missing or wrong (or no key configured), 400 not a JSON array of objects, 204 an
empty batch, 200 processed (including "all seen before") with the batch's counts, 500 when
processing failed (SendGrid retries; the events already stored are not stored twice).

SendGrid documents no replay window and it is unconfirmed whether retries are re-signed, so we
add none: replaying a signed batch only finds its events stored already.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key
from django.db import transaction
from django.utils import timezone

from config.untrusted import JsonError, digits_int, json_parse
from orders.models import ConsentSource
from tenants.inbound import Receipt, inbound_finish, inbound_headers
from tenants.models import InboundWebhook, Tenant
from tenants.services import credential_fields

from ..models import Channel, Message, Suppression
from . import effects

SOURCE = "sendgrid"
SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
# Our id, sent in the Mail Send call's custom_args; SendGrid flattens it into every event.
MESSAGE_ID_ARG = "doorstep_message_id"

S = Message.Status
# event → the status it moves the message to (forward only; effects.py). Events not listed
# (deferred, spamreport, unsubscribe, group_*) leave the status as it is: a deferral is
# retried by SendGrid, and a complaint or unsubscribe means the message was delivered.
STATUS_FOR_EVENT = {
    "processed": S.SENT,
    "delivered": S.DELIVERED,
    "open": S.OPENED,
    "click": S.CLICKED,
    "dropped": S.FAILED,  # SendGrid did not send it (suppressed there, invalid, …)
    "bounce": S.BOUNCED,  # `type` "bounce" is permanent (hard), "blocked" temporary (soft)
}
# A drop because SendGrid already suppresses the address: mirror it, so we stop trying.
SUPPRESSION_FOR_DROP_REASON = {
    "Bounced Address": Suppression.Reason.HARD_BOUNCE,
    "Spam Reporting Address": Suppression.Reason.SPAM_REPORT,
    "Unsubscribed Address": Suppression.Reason.UNSUBSCRIBED,
    "Invalid": Suppression.Reason.INVALID,
}


class PayloadError(ValueError):
    pass


@lru_cache(maxsize=256)
def _public_key(value: str) -> ec.EllipticCurvePublicKey:
    """SendGrid shows the key as base64 DER (SPKI); a PEM paste is accepted too."""
    if "BEGIN PUBLIC KEY" in value:
        key = load_pem_public_key(value.encode())
    else:
        key = load_der_public_key(base64.b64decode(value, validate=True))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an EC public key")
    return key


def signature_valid(public_key: str, signature: str, timestamp: str, body: bytes) -> bool:
    """ECDSA-SHA256 over `timestamp + body`, both exactly as received (including the CRLF
    SendGrid ends its bodies with); the signature is base64 of DER (r, s)."""
    if not (public_key and signature and timestamp):
        return False
    try:
        key = _public_key(public_key.strip())
        key.verify(base64.b64decode(signature, validate=True), timestamp.encode() + body,
                   ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error, TypeError):
        return False
    return True


def parse_events(body: bytes) -> list[dict]:
    try:
        events = json_parse(body)
    except JsonError as exc:
        raise PayloadError(exc.message) from None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise PayloadError("Expected a JSON array of event objects.")
    return events


def _event_id(event: dict) -> str:
    """sg_event_id; for an event without one, a hash of its content, so a repeated batch
    still stores it once."""
    if event.get("sg_event_id"):
        return str(event["sg_event_id"])
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _occurred_at(event: dict) -> datetime:
    try:
        return datetime.fromtimestamp(int(event["timestamp"]), tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def _matching_messages(events: list[dict]) -> tuple[dict[int, Message], dict[str, Message]]:
    """The messages a batch is about, in two queries: by our id in the custom args, else by
    SendGrid's message id (the part of sg_message_id before the first dot)."""
    ours = {n for n in (digits_int(e.get(MESSAGE_ID_ARG)) for e in events) if n is not None}
    theirs = {str(e["sg_message_id"]).split(".")[0] for e in events if e.get("sg_message_id")}
    fields = ("id", "tenant_id", "customer_id", "recipient", "channel", "provider_message_id")
    by_id = {m.pk: m for m in Message.objects.filter(pk__in=ours, channel=Channel.EMAIL)
             .only(*fields)} if ours else {}
    by_sg = {m.provider_message_id: m for m in Message.objects.filter(
        provider=SOURCE, provider_message_id__in=theirs).only(*fields)} if theirs else {}
    return by_id, by_sg


def _message_for(event: dict, by_id: dict, by_sg: dict) -> Message | None:
    ours = digits_int(event.get(MESSAGE_ID_ARG))
    if ours is not None:
        return by_id.get(ours)
    return by_sg.get(str(event.get("sg_message_id", "")).split(".")[0])


def _reason(kind: str, event: dict) -> str:
    if kind == "bounce":
        hardness = "Soft bounce (blocked)" if event.get("type") == "blocked" else "Hard bounce"
        return f"{hardness}: {event.get('reason') or event.get('status') or 'no reason given'}"
    if kind == "dropped":
        return f"Dropped by SendGrid: {event.get('reason') or 'no reason given'}"
    return ""


def _apply(tenant: Tenant, kind: str, event: dict, message: Message | None,
           at: datetime) -> None:
    """What one new event does beyond being stored."""
    address = str(event.get("email") or (message.recipient if message else ""))
    customer_id = message.customer_id if message else None
    status = STATUS_FOR_EVENT.get(kind)
    # Apple Mail Privacy Protection fetches every image: such an open says nothing about the
    # shopper, so it is kept as an event but does not make the message "opened".
    if kind == "open" and event.get("sg_machine_open") in (True, "true"):
        status = None
    if message is not None and status:
        effects.message_status_advance(tenant, message.pk, status, at=at,
                                       reason=_reason(kind, event))
    suppression = None
    if kind == "bounce" and event.get("type") != "blocked":
        suppression = Suppression.Reason.HARD_BOUNCE
    elif kind == "dropped":
        suppression = SUPPRESSION_FOR_DROP_REASON.get(str(event.get("reason", "")))
    elif kind == "spamreport":
        suppression = Suppression.Reason.SPAM_REPORT
    elif kind == "unsubscribe":
        suppression = Suppression.Reason.UNSUBSCRIBED
    if suppression:
        effects.suppression_add(tenant, channel=Channel.EMAIL, address=address,
                                reason=suppression, source=SOURCE)
    # A complaint or an unsubscribe (global, or from a SendGrid group) ends promotional mail.
    # SendGrid's page stands in for ours: ConsentSource has no "e-mail provider" value, and
    # the MessageEvent keeps which it was.
    if kind in ("spamreport", "unsubscribe", "group_unsubscribe"):
        effects.marketing_email_withdraw(tenant, address=address, customer_id=customer_id,
                                         source=ConsentSource.PREFERENCE_PAGE)


def sendgrid_receive(tenant: Tenant, inbound: InboundWebhook) -> Receipt:
    """Verify and apply a stored body (also how a stored body is replayed): its outcome, with
    the batch's counts."""
    headers = inbound_headers(inbound)
    key = (credential_fields(tenant, SOURCE) or {}).get("webhook_public_key", "")
    body = bytes(inbound.body)
    if not key:
        return inbound_finish(inbound, InboundWebhook.Status.REJECTED,
                              "No event webhook verification key is configured for SendGrid.")
    if not signature_valid(key, headers.get(SIGNATURE_HEADER, ""),
                           headers.get(TIMESTAMP_HEADER, ""), body):
        return inbound_finish(inbound, InboundWebhook.Status.REJECTED,
                              "The signature does not match this store's SendGrid verification key.")
    try:
        events = parse_events(body)
    except PayloadError as exc:
        return inbound_finish(inbound, InboundWebhook.Status.INVALID, str(exc))
    if not events:
        return inbound_finish(inbound, InboundWebhook.Status.IGNORED, "An empty batch.")
    by_id, by_sg = _matching_messages(events)
    new = unmatched = 0
    for event in events:
        kind = str(event.get("event", "unknown"))[:32]
        message = _message_for(event, by_id, by_sg)
        unmatched += message is None
        at = _occurred_at(event)
        # An event and its effects commit together: a failure leaves neither, so SendGrid's
        # retry applies it then, while the events before it are not applied twice.
        with transaction.atomic():
            if not effects.message_event_record(
                    tenant, message_id=message.pk if message else None, kind=kind,
                    source=SOURCE, occurred_at=at, provider_event_id=_event_id(event),
                    data=event):
                continue  # stored before: its effects were applied then
            _apply(tenant, kind, event, message, at)
        new += 1
    counts = {"events": len(events), "new": new, "unmatched": unmatched}
    status = InboundWebhook.Status.PROCESSED if new else InboundWebhook.Status.DUPLICATE
    return inbound_finish(inbound, status, "" if new else "Every event in this batch arrived before.",
                          details=counts, created=new, event_id=_event_id(events[0]))
