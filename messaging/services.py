"""Writes the API and the dashboard share: journeys and their rules, and resending a message.

Template versions are saved by `rendering.template_version_save` (it compiles and checks the
template); sending is `dispatch`'s. A resend only puts the same Message row back in the
outbox (scheduled, due now), so the dispatcher's exactly-once machinery stays the only path
to the shopper.

Actors are strings as on the order timeline: "user:<email>" or "api:<key prefix>".
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from config.errors import Conflict, ValidationFailed
from orders.models import Order
from orders.services import order_agent_action_record
from orders.services.timeline import order_event_record
from tenants.access import access_scoped
from tenants.models import Tenant
from tenants.queueing import enqueue_on_commit
from tracking.models import Shipment

from .journeys.conditions import conditions_clean
from .journeys.triggers import TRIGGERS
from .models import (
    HOLDOUT_MAX_PERCENT,
    HOLDOUT_TRIGGERS,
    Channel,
    Journey,
    JourneyRule,
    Message,
    MessageEvent,
    Template,
    TemplateVersion,
)

# SMS rules wait out the night in the shopper's timezone unless told otherwise.
SMS_QUIET_HOURS = (time(21, 0), time(8, 0))
DEFAULT = object()  # "not given": distinct from None, which means "no quiet hours"

RULE_FIELDS = ("name", "trigger", "channel", "template_id", "delay_minutes", "conditions",
               "quiet_hours_start", "quiet_hours_end", "enabled", "holdout_percent")
MAX_DELAY_MINUTES = 60 * 24 * 365  # a year: past that it is a mistake, not a journey

# Statuses a retailer may send again: a definite failure (retry), or an uncertain send after
# someone confirmed the shopper did not get it (the provider may have delivered it).
RESENDABLE = (Message.Status.FAILED, Message.Status.UNCERTAIN)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _invalid(details: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed("Some fields are not valid; see details.", details=details)


def _rule_check(tenant: Tenant, values: dict) -> Template:
    """Checks that span fields; the template is looked up in this tenant only."""
    errors: dict[str, list[str]] = {}
    if values["trigger"] not in TRIGGERS:
        errors["trigger"] = [f"“{values['trigger']}” is not a milestone."]
    if values["channel"] not in Channel.values:
        errors["channel"] = [f"Use one of: {', '.join(Channel.values)}."]
    holdout = values.get("holdout_percent") or 0
    if not 0 <= holdout <= HOLDOUT_MAX_PERCENT:
        errors["holdout_percent"] = [f"Use a share from 0 to {HOLDOUT_MAX_PERCENT} %."]
    elif holdout and values["trigger"] not in HOLDOUT_TRIGGERS:
        errors["holdout_percent"] = [
            "Only review requests, upsell and replenish messages can be held out: status "
            "messages always go."]
    template = Template.objects.filter(pk=values["template_id"]).first()
    if template is None:
        errors["template"] = ["No template with this id."]
    elif template.channel != values["channel"]:
        errors["template"] = [f"This is an {template.get_channel_display()} template; the rule "
                              f"sends {values['channel']}: pick a template of that channel."]
    if (values["quiet_hours_start"] is None) != (values["quiet_hours_end"] is None):
        missing = "quiet_hours_end" if values["quiet_hours_end"] is None else "quiet_hours_start"
        errors[missing] = ["Set both ends of the quiet hours, or neither."]
    elif values["quiet_hours_start"] is not None and (
            values["quiet_hours_start"] == values["quiet_hours_end"]):
        errors["quiet_hours_end"] = ["Quiet hours must not start and end at the same time."]
    delay = values["delay_minutes"]
    if not isinstance(delay, int) or delay < 0 or delay > MAX_DELAY_MINUTES:
        errors["delay_minutes"] = [f"Use a whole number of minutes from 0 to {MAX_DELAY_MINUTES}."]
    if not str(values["name"]).strip():
        errors["name"] = ["Give the rule a name."]
    if errors:
        raise _invalid(errors)
    return template


def journey_create(tenant: Tenant, *, name: str, enabled: bool = True,
                   actor: str = "") -> Journey:
    if not name.strip():
        raise _invalid({"name": ["Give the journey a name."]})
    return Journey.objects.create(tenant=tenant, name=name.strip(), enabled=enabled)


def journey_update(tenant: Tenant, journey_id: int, *, actor: str = "", **changes) -> Journey:
    journey = access_scoped(Journey, tenant, journey_id)
    unknown = set(changes) - {"name", "enabled"}
    if unknown:
        raise ValueError(f"journey_update: unknown fields {sorted(unknown)}")
    if "name" in changes and not changes["name"].strip():
        raise _invalid({"name": ["Give the journey a name."]})
    for field, value in changes.items():
        setattr(journey, field, value.strip() if field == "name" else value)
    journey.save(update_fields=[*changes, "updated_at"])
    return journey


def journey_delete(tenant: Tenant, journey_id: int, *, actor: str = "") -> None:
    """Deleting a journey deletes its rules; messages already planned keep their content (the
    rule link becomes empty)."""
    access_scoped(Journey, tenant, journey_id).delete()


def journey_rule_create(tenant: Tenant, journey_id: int, *, name: str, trigger: str,
                        channel: str, template_id: int, delay_minutes: int = 0,
                        conditions: dict | None = None, quiet_hours_start: Any = DEFAULT,
                        quiet_hours_end: Any = DEFAULT, enabled: bool = True,
                        holdout_percent: int = 0, actor: str = "") -> JourneyRule:
    """Add a rule at the end of the journey. SMS rules get quiet hours 21:00–08:00 unless
    both ends are given (None for none)."""
    journey = access_scoped(Journey, tenant, journey_id)
    if quiet_hours_start is DEFAULT and quiet_hours_end is DEFAULT:
        quiet_hours_start, quiet_hours_end = (SMS_QUIET_HOURS if channel == Channel.SMS
                                              else (None, None))
    values = {"name": name, "trigger": trigger, "channel": channel, "template_id": template_id,
              "delay_minutes": delay_minutes, "holdout_percent": holdout_percent,
              "quiet_hours_start": None if quiet_hours_start is DEFAULT else quiet_hours_start,
              "quiet_hours_end": None if quiet_hours_end is DEFAULT else quiet_hours_end}
    template = _rule_check(tenant, values)
    clean_conditions = conditions_clean(conditions or {})
    with transaction.atomic():
        # The journey row serialises concurrent additions, so positions never collide.
        Journey.objects.select_for_update().filter(pk=journey.pk).first()
        last = JourneyRule.objects.filter(journey=journey).aggregate(
            n=Max("position"))["n"]
        return JourneyRule.objects.create(
            tenant=tenant, journey=journey, name=name.strip(), trigger=trigger, channel=channel,
            template=template, delay_minutes=delay_minutes, conditions=clean_conditions,
            quiet_hours_start=values["quiet_hours_start"],
            quiet_hours_end=values["quiet_hours_end"], enabled=enabled,
            holdout_percent=holdout_percent, position=0 if last is None else last + 1)


def journey_rule_update(tenant: Tenant, rule_id: int, *, actor: str = "",
                        **changes) -> JourneyRule:
    """Change some of a rule's fields (RULE_FIELDS); the result is checked whole, so a channel
    change must come with a template of that channel."""
    rule = access_scoped(JourneyRule, tenant, rule_id)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"journey_rule_update: unknown fields {sorted(unknown)}")
    values = {field: getattr(rule, field) for field in RULE_FIELDS} | changes
    template = _rule_check(tenant, values)
    if "conditions" in changes:
        changes["conditions"] = conditions_clean(changes["conditions"] or {})
    for field, value in changes.items():
        if field == "template_id":
            rule.template = template
        else:
            setattr(rule, field, value.strip() if field == "name" else value)
    rule.save()
    return rule


def journey_rule_set_enabled(tenant: Tenant, rule_id: int, enabled: bool, *,
                             actor: str = "") -> JourneyRule:
    rule = access_scoped(JourneyRule, tenant, rule_id)
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])
    return rule


def journey_rule_delete(tenant: Tenant, rule_id: int, *, actor: str = "") -> None:
    """Messages already planned by the rule stay (their rule link becomes empty)."""
    access_scoped(JourneyRule, tenant, rule_id).delete()


def template_create(tenant: Tenant, *, key: str, name: str, channel: str,
                    has_marketing_content: bool = False, actor: str = "") -> Template:
    """A new, empty template; its content comes with its first version
    (`rendering.template_version_save`)."""
    if channel not in Channel.values:
        raise _invalid({"channel": [f"Use one of: {', '.join(Channel.values)}."]})
    try:
        with transaction.atomic():
            return Template.objects.create(tenant=tenant, key=key, name=name.strip(),
                                           channel=channel,
                                           has_marketing_content=has_marketing_content)
    except IntegrityError:  # the unique constraint decides, not a check before
        raise _invalid({"key": [f"A template with key “{key}” exists already."]}) from None


def template_update(tenant: Tenant, template_id: int, *, actor: str = "",
                    **changes) -> Template:
    """Rename, or change whether it carries marketing content. The channel never changes:
    rules rely on it."""
    template = access_scoped(Template, tenant, template_id)
    unknown = set(changes) - {"name", "has_marketing_content"}
    if unknown:
        raise ValueError(f"template_update: unknown fields {sorted(unknown)}")
    for field, value in changes.items():
        setattr(template, field, value)
    template.save(update_fields=[*changes, "updated_at"])
    return template


def message_resend(tenant: Tenant, message_id: int, *, actor: str,
                   confirmed_not_received: bool = False) -> Message:
    """Put a failed message back in the outbox: the same row (so the dedup key still holds),
    scheduled and due now, attempts reset. An uncertain one (the provider may have accepted
    it) only with `confirmed_not_received`: someone checked, and the event records who.

    Raises Conflict for any other status (sent, delivered, scheduled, suppressed, …)."""
    with transaction.atomic():
        message = (Message.objects.select_for_update()
                   .filter(pk=access_scoped(Message, tenant, message_id).pk).get())
        if message.status not in RESENDABLE:
            raise Conflict(f"A {message.get_status_display().lower()} message cannot be sent "
                           "again; only failed or uncertain ones can.",
                           details={"status": [message.status]})
        if message.status == Message.Status.UNCERTAIN and not confirmed_not_received:
            raise Conflict(
                "The provider may have delivered this message. Check with the shopper or in "
                "the provider's log first, then confirm that it was not received.",
                code="confirmation_required",
                details={"confirmed_not_received": ["Required for an uncertain message."]})
        now = timezone.now()
        previous = {"status": message.status, "reason": message.status_reason,
                    "attempts": message.attempts}
        kind = "resend_confirmed" if message.status == Message.Status.UNCERTAIN else "resend"
        message.status, message.status_reason = Message.Status.SCHEDULED, ""
        message.due_at, message.attempts = now, 0
        message.save(update_fields=["status", "status_reason", "due_at", "attempts",
                                    "updated_at"])
        MessageEvent.objects.create(
            tenant=tenant, message=message, kind=kind, occurred_at=now,
            source="dashboard" if actor.startswith("user:") else "api",
            data={"actor": actor, "previous": previous})
        if message.order_id:
            words = ("Sent again after confirming it was not received"
                     if kind == "resend_confirmed" else "Scheduled to send again")
            order_event_record(tenant, message.order_id, "message",
                               f"{words}: {message.get_channel_display()} "
                               f"“{message.milestone}” to {message.recipient}",
                               actor=actor, data={"message_id": message.pk, "kind": kind})
        # The fast path; if the broker is down, the periodic dispatch sends it anyway.
        from .tasks import messages_dispatch_due

        enqueue_on_commit(messages_dispatch_due, tenant.pk, what="message dispatch")
    return message


def _recipient_clean(channel: str, recipient: str) -> str:
    """An address an agent typed, as messages store it (e-mail lower-cased, phone E.164)."""
    recipient = (recipient or "").strip()
    if channel == Channel.EMAIL:
        recipient = recipient.lower()
        if not _EMAIL.match(recipient):
            raise ValidationFailed("Enter a valid e-mail address.",
                                   details={"recipient": ["Enter a valid e-mail address."]})
    elif not _E164.match(recipient := re.sub(r"[\s()\-./]", "", recipient)):
        raise ValidationFailed("Enter the number in international form, e.g. +4915112345678.",
                               details={"recipient": ["Use E.164, e.g. +4915112345678."]})
    return recipient


def _request_key_check(request_key: str) -> None:
    if not re.fullmatch(r"[\w-]{8,64}", request_key or ""):
        raise ValidationFailed("The form expired; reload the page.",
                               details={"request_key": ["Invalid."]})


def message_send_again(tenant: Tenant, message_id: int, *, actor: str, request_key: str,
                       recipient: str | None = None) -> Message:
    """An agent sends a message again, whatever became of it, to the same or a corrected
    address: a new row with the first one's content (what the shopper gets is what they got),
    due now, through the dispatcher's checks (suppression, consent) like any other.

    `request_key` names the agent's request (the order page puts a fresh one in each form):
    the dedup key is built from it, so a double click or a repeated POST sends once."""
    original = access_scoped(Message, tenant, message_id)
    recipient = _recipient_clean(original.channel, recipient or original.recipient)
    _request_key_check(request_key)
    now = timezone.now()
    copy = Message(
        tenant=tenant, rule=None, channel=original.channel, milestone=original.milestone,
        order_id=original.order_id, shipment_id=original.shipment_id,
        customer_id=original.customer_id, recipient=recipient,
        dedup_key=f"{Message.AGENT_KEY_PREFIX}again:{original.pk}:{request_key}",
        status=Message.Status.SCHEDULED,
        due_at=now, locale=original.locale, template_version_id=original.template_version_id,
        subject=original.subject, preheader=original.preheader, html_body=original.html_body,
        text_body=original.text_body, links=original.links,
        includes_marketing=original.includes_marketing)
    with transaction.atomic():
        Message.objects.bulk_create([copy], ignore_conflicts=True)
        copy = Message.objects.get(dedup_key=copy.dedup_key)
        if copy.created_at < now:
            return copy  # the same request again: already scheduled
        MessageEvent.objects.create(
            tenant=tenant, message=original, kind="sent_again", occurred_at=now,
            source="dashboard" if actor.startswith("user:") else "api",
            data={"actor": actor, "copy_id": copy.pk, "recipient": recipient})
        if original.order_id:
            to = (f"{recipient} (was {original.recipient})" if recipient != original.recipient
                  else recipient)
            order_agent_action_record(
                tenant, original.order_id,
                f"Sent the {original.get_channel_display()} “{original.milestone}” again to {to}",
                actor=actor, data={"message_id": original.pk, "copy_id": copy.pk})
        from .tasks import messages_dispatch_due

        enqueue_on_commit(messages_dispatch_due, tenant.pk, what="message dispatch")
    return copy


AGENT_MESSAGE = "agent_message"  # the milestone of a one-off message an agent sends


def message_send_one_off(tenant: Tenant, order_id: int, template_id: int, *, actor: str,
                         request_key: str, recipient: str = "") -> Message:
    """An agent sends the shopper a one-off branded message from one of the store's templates
    (its current version in the shopper's language, else the store's): a message about the
    order and its latest parcel, rendered and checked (consent, suppression) by the
    dispatcher like any other. Once per `request_key`, as `message_send_again`."""
    template = access_scoped(Template, tenant, template_id)
    order = access_scoped(Order, tenant, order_id)
    customer = order.customer
    default = (customer.email if template.channel == Channel.EMAIL else customer.phone) \
        if customer else ""
    recipient = _recipient_clean(template.channel, recipient or default)
    _request_key_check(request_key)
    locales = [loc for loc in ((customer.locale if customer else ""), tenant.default_locale) if loc]
    versions = {v.locale: v for v in TemplateVersion.objects.filter(template=template)
                .order_by("locale", "-number").distinct("locale")}
    version = next((versions[loc] for loc in locales if loc in versions), None) \
        or next(iter(versions.values()), None)
    if version is None:
        raise ValidationFailed("This template has no saved version yet.",
                               details={"template_id": ["No version."]})
    shipment_id = (Shipment.objects.filter(order_id=order.pk).order_by("-created_at", "-pk")
                   .values_list("pk", flat=True).first())
    now = timezone.now()
    message = Message(
        tenant=tenant, rule=None, channel=template.channel, milestone=AGENT_MESSAGE,
        order_id=order.pk, shipment_id=shipment_id, customer_id=order.customer_id,
        recipient=recipient,
        dedup_key=f"{Message.AGENT_KEY_PREFIX}one-off:{order.pk}:{request_key}",
        status=Message.Status.SCHEDULED, due_at=now, template_version=version)
    with transaction.atomic():
        Message.objects.bulk_create([message], ignore_conflicts=True)
        message = Message.objects.get(dedup_key=message.dedup_key)
        if message.created_at < now:
            return message  # the same request again
        order_agent_action_record(
            tenant, order.pk, f"Sent the {template.get_channel_display()} “{template.name}” "
                              f"(version {version.number}, {version.locale}) to {recipient}",
            actor=actor, data={"message_id": message.pk, "template_id": template.pk})
        from .tasks import messages_dispatch_due

        enqueue_on_commit(messages_dispatch_due, tenant.pk, what="message dispatch")
    return message
