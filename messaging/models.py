"""Journeys and their rules, templates and their versions, the Message outbox, provider
events, the suppression list and shoppers' preferences.

    milestone ─▶ JourneyRule (trigger, channel, conditions, delay, quiet hours)
                   └─▶ Message (one per rule × shipment/order × milestone: unique dedup_key)
                          scheduled → queued → sending → sent → delivered/opened/clicked
                          or suppressed · failed · bounced · uncertain (never resent blindly)
                          └─▶ MessageEvent (provider callbacks, opens, clicks; stored once)
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from tenants.scoping import TenantScopedModel

from .packing import PackedTextField


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


class Template(TenantScopedModel):
    """A named message design for one channel; its content lives in versions, per locale."""

    key = models.SlugField(max_length=80)  # e.g. "shipped-email", stable for API scripts
    name = models.CharField(max_length=120)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # Whether the template carries promotional blocks (recommendations, offers): decides the
    # List-Unsubscribe headers and that only shoppers with marketing consent get those blocks.
    has_marketing_content = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="template_unique_key")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TemplateVersion(TenantScopedModel):
    """Every save is a version (never edited afterwards); the newest per locale is current;
    restoring copies an old one into a new version. Messages record the version they used."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions",
                                 db_index=False)
    locale = models.CharField(max_length=10)
    number = models.PositiveIntegerField()  # 1, 2, 3… per (template, locale)
    subject = models.CharField(max_length=300, blank=True)  # e-mail only (Jinja2)
    preheader = models.CharField(max_length=300, blank=True)  # e-mail only (Jinja2)
    body = models.TextField()  # e-mail: MJML with Jinja2; SMS: text with Jinja2
    text_body = models.TextField(blank=True)  # e-mail plain-text part; blank: generated
    # MJML compiled to HTML and CSS-inlined once per version (still containing Jinja2).
    compiled_html = models.TextField(blank=True)
    compiled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "template", "locale", "number"],
                                    name="templateversion_unique_number"),
        ]
        ordering = ["template", "locale", "-number"]

    def __str__(self) -> str:
        return f"{self.template_id} {self.locale} v{self.number}"


class Journey(TenantScopedModel):
    name = models.CharField(max_length=120)
    enabled = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)  # the one every new tenant gets
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_default=True),
                                    name="journey_one_default"),
        ]
        indexes = [models.Index(fields=["tenant", "name"], name="journey_tenant_name")]

    def __str__(self) -> str:
        return self.name


# A holdout (issue 18): a rule may withhold its messages from a stable share of shoppers, so
# analytics can compare what those shoppers do with what the others do. Only messages a
# shopper would not miss: status messages (order confirmed, shipped, delivered, returns…)
# always go.
HOLDOUT_TRIGGERS = frozenset({"review_request", "upsell", "replenish"})
HOLDOUT_MAX_PERCENT = 50
HOLDOUT_REASON = ("Held out for measurement: this shopper is in the rule's holdout, so it is "
                  "not sent (Analytics compares them with the shoppers who get it).")


def holdout_bucket(tenant_id: int, rule_id: int, customer_id: int) -> int:
    """0–9999, the same for a shopper and a rule every time (analytics/rollups computes it in
    SQL the same way: the first 32 bits of the MD5 of "tenant:rule:customer")."""
    digest = hashlib.md5(f"{tenant_id}:{rule_id}:{customer_id}".encode(),  # noqa: S324
                         usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) % 10_000


class JourneyRule(TenantScopedModel):
    """When `trigger` happens, send `template` on `channel` after `delay_minutes`, if the
    conditions hold, waiting out the recipient's quiet hours."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="rules",
                                db_index=False)
    name = models.CharField(max_length=120)
    trigger = models.CharField(max_length=32)  # a journeys.triggers.TRIGGERS value
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # RESTRICT, not PROTECT: a template in use cannot be deleted on its own, but deleting the
    # whole store (which takes its rules along) can.
    template = models.ForeignKey(Template, on_delete=models.RESTRICT, related_name="rules",
                                 db_index=False)
    delay_minutes = models.PositiveIntegerField(default=0)
    # {"customer": "any"|"first_time"|"repeat", "min_order_value": "50.00",
    #  "max_order_value": …, "categories": [...], "tags": [...], "carriers": [...],
    #  "countries": [...], "marketing_consent": true}. Consent for the channel is always
    #  required; these narrow further. Documented in messaging/journeys/conditions.py.
    conditions = models.JSONField(default=dict, blank=True)
    # Local time window in the recipient's timezone when nothing is sent (the send waits).
    # SMS rules default to 21:00–08:00; null: no quiet hours.
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    # Percent of shoppers (0–50) who do not get this rule's messages; HOLDOUT_TRIGGERS only.
    holdout_percent = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(HOLDOUT_MAX_PERCENT)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        indexes = [models.Index(fields=["tenant", "trigger"], name="journeyrule_tenant_trigger")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "journey", "position"],
                                    name="journeyrule_unique_position"),
        ]
        ordering = ["journey", "position"]

    def __str__(self) -> str:
        return self.name

    def holds_out(self, customer_id: int | None) -> bool:
        """Whether this shopper is in the rule's holdout (never for a status message)."""
        if not self.holdout_percent or self.trigger not in HOLDOUT_TRIGGERS or customer_id is None:
            return False
        return holdout_bucket(self.tenant_id, self.pk, customer_id) < self.holdout_percent * 100


class Message(TenantScopedModel):
    """The outbox: one row per (rule × shipment or order × milestone), created in the
    transaction that reacts to the milestone. Sending is driven from these rows."""

    # Dedup keys of messages a member sent from the agent console ("agent:again:…",
    # "agent:one-off:…"): the member chose to send them, so only the shopper's own say
    # (consent, suppression, preferences) stops them, not whether the milestone is still news.
    AGENT_KEY_PREFIX = "agent:"

    # No index of its own: every index below starts with the tenant, and a row changes
    # status four times on its way out, each change writing every index again.
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+",
                               db_index=False)

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"  # waiting for its due time (delay, quiet hours)
        QUEUED = "queued", "Queued"  # due; claimed by a dispatcher batch
        SENDING = "sending", "Sending"  # handed to the provider, outcome not yet recorded
        SENT = "sent", "Sent"  # the provider accepted it
        DELIVERED = "delivered", "Delivered"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        SUPPRESSED = "suppressed", "Suppressed"  # not sent on purpose; see status_reason
        FAILED = "failed", "Failed"  # permanent error, or retries exhausted
        BOUNCED = "bounced", "Bounced"
        # A crash between the provider's acceptance and our record: never resent automatically.
        UNCERTAIN = "uncertain", "Uncertain"

    rule = models.ForeignKey(JourneyRule, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_index=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    milestone = models.CharField(max_length=32)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    shipment = models.ForeignKey("tracking.Shipment", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+", db_index=False)
    customer = models.ForeignKey("orders.Customer", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+", db_index=False)
    # A return's message (return_requested … refund_delayed): its number and status page.
    return_request = models.ForeignKey("returns.ReturnRequest", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+",
                                       db_index=False)
    recipient = models.CharField(max_length=254)  # e-mail address or E.164 phone number
    # "rule:<id>:shipment:<id>:<milestone>" (or order): exactly once per shopper and milestone.
    dedup_key = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    status_reason = models.CharField(max_length=500, blank=True)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    locale = models.CharField(max_length=10, blank=True)
    template_version = models.ForeignKey(TemplateVersion, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+",
                                         db_index=False)
    subject = models.CharField(max_length=300, blank=True)
    preheader = models.CharField(max_length=300, blank=True)
    html_body = PackedTextField(blank=True)  # packed: about 0.7 kB for a 22 kB e-mail
    text_body = models.TextField(blank=True)  # the plain-text part, or the SMS body
    links = models.JSONField(default=list, blank=True)  # the only URLs the click redirect allows
    includes_marketing = models.BooleanField(default=False)
    provider = models.CharField(max_length=16, blank=True)  # sendgrid, smtp, twilio, outbox
    provider_message_id = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dedup_key"], name="message_unique_dedup"),
        ]
        indexes = [
            # The claim's order (due_at, then id) exactly: a batch planned in one transaction
            # shares its due_at, and without the id every claim sorted all of it again.
            models.Index(fields=["tenant", "status", "due_at", "id"], name="message_tenant_due_id"),
            models.Index(fields=["tenant", "-created_at"], name="message_tenant_created"),
            models.Index(fields=["tenant", "order"], name="message_tenant_order"),
            models.Index(fields=["tenant", "shipment"], name="message_tenant_shipment"),
            models.Index(fields=["tenant", "recipient"], name="message_tenant_recipient"),
            models.Index(fields=["tenant", "provider", "provider_message_id"],
                         name="message_tenant_provider_id"),
            # Analytics recomputes a day of sent messages (analytics/rollups). Partial: rows
            # not yet sent are not in it, and sent_at is written once.
            models.Index(fields=["tenant", "sent_at"], name="message_tenant_sent",
                         condition=Q(sent_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.milestone} to {self.recipient} ({self.status})"


class MessageEvent(TenantScopedModel):
    """Something a provider (or our pixel/redirect) reported about a message, stored once."""

    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="events", db_index=False)
    kind = models.CharField(max_length=32)  # delivered, open, click, bounce, spamreport, …
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=16)  # sendgrid, twilio, pixel, redirect, dispatcher
    provider_event_id = models.CharField(max_length=200, blank=True)  # e.g. sg_event_id
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "provider_event_id"],
                                    condition=~Q(provider_event_id=""),
                                    name="messageevent_unique_provider_id"),
        ]
        indexes = [models.Index(fields=["tenant", "message", "occurred_at"],
                                name="messageevent_tenant_message")]
        ordering = ["occurred_at", "pk"]


class Suppression(TenantScopedModel):
    """An address we must not send to on a channel (hard bounce, spam report, STOP, …)."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        SPAM_REPORT = "spam_report", "Marked as spam"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        SMS_STOP = "sms_stop", "Replied STOP"
        INVALID = "invalid", "Invalid address or number"
        MANUAL = "manual", "Added by the retailer"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)  # lower-cased e-mail or E.164 number
    reason = models.CharField(max_length=16, choices=Reason.choices)
    source = models.CharField(max_length=32)  # sendgrid, twilio, preference_page, dashboard, api
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "channel", "address"],
                                    name="suppression_unique_address"),
        ]


class MessagePreference(TenantScopedModel):
    """A shopper's choice for one milestone on one channel (from the preferences page).
    No row: the default (send, subject to consent)."""

    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    milestone = models.CharField(max_length=32)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "milestone", "channel"],
                                    name="preference_unique"),
        ]
