"""What a support agent does from the order page that belongs to orders: internal notes (with
mentions that e-mail the members named) and corrections of the shopper's contact details and
consent. Each is a line on the order's timeline naming the agent; higher apps record their own
actions (a resend, a parcel marked lost) there through `order_agent_action_record`.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from config.errors import ValidationFailed
from tenants.models import Membership, Tenant
from tenants.services import audit_record

from ..models import ConsentSource, Customer, Order, OrderEvent, e164
from .timeline import order_event_record

NOTE_MAX = 2000
REASON_MAX = 300
_MENTION = re.compile(r"@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


def order_agent_action_record(tenant: Tenant, order_id: int, summary: str, *, actor: str,
                              data: dict | None = None) -> None:
    """An agent's action on the order's timeline ("Marked lost — reshipping", "Resent to …")
    and in the store's audit log."""
    order_event_record(tenant, order_id, OrderEvent.Kind.AGENT_ACTION, summary, actor=actor,
                       data=data)
    audit_record(tenant, actor=actor, action="order.agent_action", summary=summary,
                 object_type="order", object_id=order_id, data=data)


def _mentioned(text: str) -> list[Membership]:
    """Members named in the note: "@bob", "@Bob" (the e-mail's local part or the username)
    or "@bob@alpha.test"; in the caller's tenant scope."""
    names = {m.lower() for m in _MENTION.findall(text)}
    if not names:
        return []
    return [m for m in Membership.objects.select_related("user")
            if m.user.email.lower() in names or m.user.email.split("@")[0].lower() in names
            or m.user.get_username().lower() in names]


def order_note_add(tenant: Tenant, order_id: int, text: str, *, actor: str) -> list[str]:
    """An internal note on the order (never shown to the shopper). Members it mentions get an
    e-mail with the note and a link, after commit; returns their addresses."""
    text = text.strip()
    if not text:
        raise ValidationFailed("Write the note first.", details={"text": ["Required."]})
    if len(text) > NOTE_MAX:
        raise ValidationFailed(f"A note has at most {NOTE_MAX} characters.",
                               details={"text": [f"At most {NOTE_MAX} characters."]})
    order = Order.objects.get(pk=order_id)
    author = actor.removeprefix("user:")
    notified = sorted({m.user.email for m in _mentioned(text) if m.user.email != author})
    with transaction.atomic():
        order_event_record(tenant, order.pk, OrderEvent.Kind.NOTE, text[:500], actor=actor,
                           data={"text": text, "mentions": notified})
        audit_record(tenant, actor=actor, action="order.note_added",
                     summary=f"Note on order {order.number}", object_type="order",
                     object_id=order.pk, data={"mentions": notified})
        if notified:
            url = f"{settings.PUBLIC_BASE_URL}/orders/{order.pk}/"
            transaction.on_commit(lambda: send_mail(
                subject=f"[Doorstep] {author} mentioned you on order {order.number}",
                message=f"{author} wrote on order {order.number} of {tenant.name}:\n\n{text}\n\n"
                        f"Open the order: {url}",
                from_email=None, recipient_list=notified))
    return notified


def customer_contact_correct(tenant: Tenant, customer_id: int, *, order_id: int,
                             email: str | None = None, phone: str | None = None,
                             actor: str, reason: str = "") -> list[str]:
    """Correct the shopper's e-mail or phone: messages from now on use them (messages are
    addressed when they are planned). Returns the fields changed."""
    errors: dict[str, list[str]] = {}
    changes: dict[str, str] = {}
    if email is not None:
        email = email.strip().lower()
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = ["Enter a valid e-mail address."]
        changes["email"] = email
    if phone is not None:
        phone = phone.strip()
        try:
            if phone:
                e164(phone)
        except DjangoValidationError as exc:
            errors["phone"] = list(exc.messages)
        changes["phone"] = phone
    if errors:
        raise ValidationFailed("Some fields are not valid; see details.", details=errors)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        changed = [f for f, v in changes.items() if getattr(customer, f) != v]
        if not changed:
            return []
        before = {f: getattr(customer, f) for f in changed}
        for field in changed:
            setattr(customer, field, changes[field])
        customer.save(update_fields=[*changed, "updated_at"])
        words = ", ".join(f"{f.replace('email', 'e-mail')} {before[f] or '(none)'} → "
                          f"{changes[f] or '(none)'}" for f in changed)
        order_agent_action_record(tenant, order_id, f"Corrected the shopper's {words}"
                                  + (f" ({reason.strip()[:REASON_MAX]})" if reason.strip() else ""),
                                  actor=actor, data={"before": before, "after":
                                                     {f: changes[f] for f in changed}})
    return changed


CONSENT_LABELS = {
    "transactional_email": "order e-mails", "transactional_sms": "order texts",
    "marketing_email": "marketing e-mails", "marketing_sms": "marketing texts",
}


def customer_consent_set(tenant: Tenant, customer_id: int, channel: str, given: bool, *,
                         order_id: int, actor: str, reason: str) -> bool:
    """Record the shopper's consent for one channel as told to an agent, with the reason (the
    proof is the agent's word): source "agent", now. Returns whether it changed."""
    if channel not in Customer.CONSENT_CHANNELS:
        raise ValidationFailed("Unknown consent.", details={"channel": ["Unknown consent."]})
    reason = reason.strip()[:REASON_MAX]
    if not reason:
        raise ValidationFailed("Say why the consent changes (what the shopper asked).",
                               details={"reason": ["Required."]})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if customer.has_consent(channel) == given:
            return False
        setattr(customer, f"{channel}_consent", given)
        setattr(customer, f"{channel}_consent_at", timezone.now())
        setattr(customer, f"{channel}_consent_source", ConsentSource.AGENT)
        customer.save(update_fields=[f"{channel}_consent", f"{channel}_consent_at",
                                     f"{channel}_consent_source", "updated_at"])
        order_agent_action_record(
            tenant, order_id, f"{'Turned on' if given else 'Turned off'} "
                              f"{CONSENT_LABELS[channel]} ({reason})",
            actor=actor, data={"consent": channel, "given": given, "reason": reason})
    return True
