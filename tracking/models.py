"""Shipments, their tracking events and the milestones they reached. Every inbound webhook body
is kept, before it is processed, in tenants' InboundWebhook archive (tenants/inbound.py)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenants.outbox import OutboxRow
from tenants.scoping import TenantScopedModel

from .statuses import ExceptionCause, Milestone, TrackingStatus


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class Shipment(TenantScopedModel):
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="shipments", db_index=False)
    carrier = models.CharField(max_length=32)  # normalised code: "USPS", "DHL", "UPS", …
    tracking_number = models.CharField(max_length=64)
    service = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=24, choices=TrackingStatus.choices,
                              default=TrackingStatus.PENDING)
    exception_cause = models.CharField(max_length=16, choices=ExceptionCause.choices, blank=True)
    exception_message = models.CharField(max_length=500, blank=True)
    carrier_estimated_delivery = models.DateField(null=True, blank=True)
    promised_delivery = models.DateField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # Derived flags, set by the silence/lateness job and cleared when movement resumes.
    delayed = models.BooleanField(default=False)
    stalled = models.BooleanField(default=False)
    # A parcel on its way back to the retailer (a return's label, returns/labels.py): moved by
    # the carriers' webhooks like any parcel, but its milestones are of their own outbox kind
    # (ShipmentMilestone.RETURN_KIND), so no delivery message is planned from them.
    # db_default: rows written by COPY (the benches, bulk loads) that do not name it are not
    # returns
    is_return = models.BooleanField(default=False, db_default=False)
    # The shopper's tracking page /t/<token>/: unguessable, and it names the tenant, so its
    # unique index is global.
    public_token = models.CharField(max_length=40, unique=True, default=new_public_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "carrier", "tracking_number"],
                                    name="shipment_unique_tracking"),
        ]
        indexes = [
            models.Index(fields=["tenant", "tracking_number"], name="shipment_tenant_number"),
            models.Index(fields=["tenant", "status"], name="shipment_tenant_status"),
            models.Index(fields=["tenant", "-created_at"], name="shipment_tenant_created"),
            models.Index(fields=["tenant", "order"], name="shipment_tenant_order"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class ShipmentItem(TenantScopedModel):
    """Which order lines (and how many of each) a shipment carries."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items",
                                 db_index=False)
    line_item = models.ForeignKey("orders.LineItem", on_delete=models.CASCADE, related_name="+",
                                  db_index=False)
    quantity = models.PositiveIntegerField(default=1)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "shipment", "line_item"],
                                    name="shipmentitem_unique_line"),
        ]


class TrackingEvent(TenantScopedModel):
    """A carrier scan. Stored once (unique dedup key) however often it arrives; events for a
    tracking number we do not know yet wait with no shipment and are attached when it appears."""

    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="events", db_index=False)
    source = models.CharField(max_length=32)
    carrier = models.CharField(max_length=32)
    tracking_number = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    status = models.CharField(max_length=24, choices=TrackingStatus.choices)
    source_code = models.CharField(max_length=64, blank=True)
    source_subcode = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=1000, blank=True)
    location = models.JSONField(null=True, blank=True)
    exception_cause = models.CharField(max_length=16, choices=ExceptionCause.choices, blank=True)
    estimated_delivery = models.DateField(null=True, blank=True)
    dedup_key = models.CharField(max_length=255)
    # Which stored body brought it: a link for people, not a constraint. Without one, the
    # archive's purge (tenants/inbound.py) deletes bodies without a check per row against this
    # table (which has no index on it); bodies that brought events are emptied, never deleted.
    inbound = models.ForeignKey("tenants.InboundWebhook", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="events", db_index=False, db_constraint=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dedup_key"], name="trackingevent_unique_dedup"),
        ]
        indexes = [
            models.Index(fields=["tenant", "shipment", "occurred_at"], name="event_tenant_shipment"),
            models.Index(fields=["tenant", "tracking_number"], name="event_tenant_number",
                         condition=Q(shipment__isnull=True)),
        ]
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.status} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ShipmentMilestone(OutboxRow):
    """A milestone a shipment reached: at most once per shipment (unique), written in the same
    transaction as the status change, and an outbox row of kind `tracking.shipment_milestone`
    (tenants/outbox.py): the app that reacts to it registers its processor."""

    KIND = "tracking.shipment_milestone"
    # A return parcel's milestones (Shipment.is_return): the returns app processes them.
    RETURN_KIND = "tracking.return_parcel_milestone"

    kind = models.CharField(max_length=64, default=KIND)
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="milestones",
                                 db_index=False)
    milestone = models.CharField(max_length=32, choices=Milestone.choices)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OutboxRow.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "shipment", "milestone"],
                                    name="milestone_once_per_shipment"),
        ]
        indexes = [
            models.Index(fields=["tenant", "announced_at"], name="milestone_tenant_unannounced",
                         condition=Q(announced_at__isnull=True)),
            # Analytics recomputes a day of milestones (analytics/rollups).
            models.Index(fields=["tenant", "occurred_at"], name="milestone_tenant_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.milestone} of {self.shipment_id}"

    @classmethod
    def kind_for(cls, shipment: Shipment) -> str:
        return cls.RETURN_KIND if shipment.is_return else cls.KIND


class TrackingSettings(TenantScopedModel):
    """Per-tenant thresholds for silence and lateness (one row per tenant, created on demand
    with these defaults). Hours are business hours: weekends do not count as silence."""

    # Label created but no carrier scan after this long: "stalled" (the parcel never left).
    label_silence_hours = models.PositiveIntegerField(default=48)
    # In transit with no new scan for this long: "stalled". Per-carrier overrides in
    # `carrier_silence_hours` ({"USPS": 72, "DHL": 48}) reflect each network's scan rhythm.
    transit_silence_hours = models.PositiveIntegerField(default=72)
    carrier_silence_hours = models.JSONField(default=dict, blank=True)
    # Waiting at a pickup point this many days: "stalled" (the shopper has not collected).
    pickup_wait_days = models.PositiveIntegerField(default=5)
    # Mark "delayed" when the promised (else the carrier's estimated) date passed undelivered.
    detect_delays = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="trackingsettings_one_per_tenant"),
        ]


class TrackingPageSettings(TenantScopedModel):
    """How the shopper tracking page /t/<token>/ looks for one tenant (one row per tenant,
    created on demand; `tracking.selectors.tracking_page_settings_get` gives the defaults
    until someone saves a change)."""

    APOLOGY_TEXT_MAX = 500
    APOLOGY_CODE_MAX = 64

    # The retailer's apology, shown only on delayed parcels and parcels with a problem.
    apology_text = models.CharField(max_length=APOLOGY_TEXT_MAX, blank=True)
    apology_code = models.CharField(max_length=APOLOGY_CODE_MAX, blank=True)  # shown with it
    # Which blocks of the page show.
    show_items = models.BooleanField(default=True)
    show_recommendations = models.BooleanField(default=True)
    show_help = models.BooleanField(default=True)
    # The "Start a return" button (to /s/<slug>/returns/): off until the retailer takes returns.
    returns_enabled = models.BooleanField(default=False)
    # Language codes the switcher offers; empty means every language Doorstep has (so one we
    # add later is offered too). Codes come from settings.LANGUAGES, checked by the service.
    languages = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="trackingpagesettings_one_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"Tracking page settings of {self.tenant_id}"

    @property
    def has_apology(self) -> bool:
        return bool(self.apology_text.strip())

    @property
    def offered_languages(self) -> list[str]:
        """The switcher's languages, in the order of settings.LANGUAGES."""
        known = [code for code, _name in settings.LANGUAGES]
        return [code for code in known if code in self.languages] or known


class DeliveryFeedback(TenantScopedModel):
    """The shopper's rating of a delivery: one per shipment, changeable for
    EDIT_DAYS after it was first given, then read-only."""

    LOW_RATING = 2  # ratings at or below it are flagged for agents
    EDIT_DAYS = 14  # the shopper may change a rating this long after first giving it

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    rating = models.PositiveSmallIntegerField()  # 1 to 5 stars
    comment = models.TextField(blank=True, max_length=2000)
    # rating <= LOW_RATING; stored so agents' lists and the API filter on an index.
    low = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "shipment"], name="feedback_one_per_shipment"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5),
                                   name="feedback_rating_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="feedback_tenant_created"),
            models.Index(fields=["tenant", "-created_at"], name="feedback_tenant_low",
                         condition=Q(low=True)),
        ]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.rating}/5 for shipment {self.shipment_id}"

    @property
    def editable_until(self) -> datetime:
        return self.created_at + timedelta(days=self.EDIT_DAYS)

    @property
    def editable(self) -> bool:
        """Whether the shopper may still change it (the form shows, the POST is accepted)."""
        return timezone.now() < self.editable_until


class ShipmentPageViewDay(TenantScopedModel):
    """Views of a shipment's tracking page per day and source (the input of the WISMO KPIs).
    Counted in Redis per view (tracking/pageviews.py) and added here by a periodic task, so a
    view costs no database write."""

    class Source(models.TextChoices):
        EMAIL = "email", "E-mail"  # a link in one of our e-mails (?src=email)
        SMS = "sms", "SMS"  # a link in one of our text messages (?src=sms)
        DIRECT = "direct", "Direct"  # anything else: typed, bookmarked, the lookup, the shop

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    day = models.DateField()  # UTC
    source = models.CharField(max_length=8, choices=Source.choices)
    views = models.PositiveIntegerField(default=0)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "shipment", "day", "source"],
                                    name="pageviewday_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "day"], name="pageviewday_tenant_day"),
        ]

    def __str__(self) -> str:
        return f"{self.views} {self.source} views of {self.shipment_id} on {self.day}"
