from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from .permissions import ApiKeyScope, Role
from .scoping import TenantScopedModel

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1F6FEB.")
dialable_phone = RegexValidator(r"^\+?[0-9][0-9 ()./-]{3,30}$",
                                "Use a phone number shoppers can dial, e.g. +49 30 1234567.")


class Tenant(models.Model):
    """A retailer's account. Not scoped itself: it is what everything else is scoped by."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"  # no dashboard, API or sends; data kept
        CLOSED = "closed", "Closed"

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    timezone = models.CharField(max_length=64, default="UTC")
    default_locale = models.CharField(max_length=10, default="en", choices=settings.LANGUAGES)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    require_two_factor = models.BooleanField(
        default=False, help_text="Members must set up an authenticator app to use the dashboard."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Membership(TenantScopedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"


class Invitation(TenantScopedModel):
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    # The token travels in the link; only its SHA-256 is stored. Looked up before the tenant
    # is known, so its unique index cannot start with `tenant`.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="invitation_tenant_created")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"


class Brand(TenantScopedModel):
    class Font(models.TextChoices):
        SYSTEM = "system", "System UI"
        HELVETICA = "helvetica", "Helvetica / Arial"
        GEORGIA = "georgia", "Georgia (serif)"
        TREBUCHET = "trebuchet", "Trebuchet MS"
        VERDANA = "verdana", "Verdana"
        COURIER = "courier", "Courier (monospace)"

    logo = models.ImageField(upload_to="logos/", blank=True)
    primary_color = models.CharField(max_length=7, default="#1F6FEB", validators=[hex_colour])
    accent_color = models.CharField(max_length=7, default="#F59E0B", validators=[hex_colour])
    font = models.CharField(max_length=16, choices=Font.choices, default=Font.SYSTEM)
    sender_name = models.CharField(max_length=100, blank=True)
    sender_email = models.EmailField(blank=True)
    reply_to = models.EmailField(blank=True)
    sms_sender = models.CharField(
        max_length=16, blank=True,
        validators=[RegexValidator(
            r"^(\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11})$",
            "Use a phone number in E.164 form (+4915112345678) or up to 11 letters and digits.",
        )],
    )
    footer_text = models.TextField(blank=True, max_length=2000)
    legal_text = models.TextField(blank=True, max_length=4000)
    # {"instagram": "https://…", …}: keys from `SOCIAL_NETWORKS`.
    social_links = models.JSONField(default=dict, blank=True)
    # Where a shopper gets help: shown on the tracking page and available to templates.
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=32, blank=True, validators=[dialable_phone])
    help_url = models.URLField(blank=True, max_length=500)  # the shop's help or FAQ page
    # Resolves shopper pages to this tenant by Host header, so it is unique across tenants.
    custom_tracking_domain = models.CharField(max_length=253, blank=True, null=True, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    SOCIAL_NETWORKS = ("instagram", "facebook", "x", "tiktok", "youtube", "pinterest", "linkedin")

    class Meta(TenantScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant"], name="brand_one_per_tenant")]

    def __str__(self) -> str:
        return f"Brand of {self.tenant_id}"


class ApiKey(TenantScopedModel):
    name = models.CharField(max_length=100)
    # The first characters of the key, shown in lists so people can tell keys apart.
    prefix = models.CharField(max_length=16)
    # SHA-256 of the whole key: keys are long random strings, so a fast hash is enough.
    # Looked up before the tenant is known, hence a global unique index.
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=16, choices=ApiKeyScope.choices,
                             default=ApiKeyScope.READ_WRITE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "revoked_at"], name="apikey_tenant_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Credential(TenantScopedModel):
    """A tenant's secrets for one provider, as one encrypted JSON object of fields."""

    class Name(models.TextChoices):
        SENDGRID = "sendgrid", "SendGrid"
        TWILIO = "twilio", "Twilio"
        EASYPOST = "easypost", "EasyPost"
        AFTERSHIP = "aftership", "AfterShip"
        SHIPPO = "shippo", "Shippo"
        SHOPIFY = "shopify", "Shopify"

    name = models.CharField(max_length=32, choices=Name.choices)
    ciphertext = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta(TenantScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="credential_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} credentials"


class InboundWebhook(TenantScopedModel):
    """One inbound webhook request exactly as it arrived, whichever app processes it: kept
    whatever happens next, listed in the webhook log, replayable (tenants/inbound.py)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"  # stored, not yet verified
        REJECTED = "rejected", "Rejected"  # signature missing or wrong (401)
        INVALID = "invalid", "Invalid"  # verified but unparseable (400)
        IGNORED = "ignored", "Ignored"  # a kind of delivery we do not process (204)
        DUPLICATE = "duplicate", "Duplicate"  # the same delivery id arrived before
        QUEUED = "queued", "Queued"  # accepted, waiting for a worker
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"  # processing raised; see error, replay when fixed

    source = models.CharField(max_length=32)  # the provider: also its credential's name
    # The registered source (tenants/inbound.py) that received it, and so replays it: the
    # provider's name, or more precise where one provider has several endpoints
    # ("twilio-status", "twilio-inbound").
    endpoint = models.CharField(max_length=32, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    headers = models.JSONField(default=dict)
    query = models.CharField(max_length=2000, blank=True)
    body = models.BinaryField()
    body_truncated = models.BooleanField(default=False)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    provider_event_id = models.CharField(max_length=128, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    events_created = models.PositiveIntegerField(default=0)
    # Past its retention (WEBHOOK_RETENTION_DAYS) a body that brought events loses its body,
    # headers and query; the row stays, so the events still say where they came from.
    body_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        indexes = [
            models.Index(fields=["tenant", "received_at"], condition=Q(body_purged_at=None),
                         name="webhook_tenant_unpurged"),
            models.Index(fields=["tenant", "-received_at"], name="webhook_tenant_received"),
            models.Index(fields=["tenant", "status", "received_at"], name="webhook_tenant_status"),
            models.Index(fields=["tenant", "source", "provider_event_id"], name="webhook_tenant_event"),
        ]
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.source} webhook {self.pk} ({self.status})"


class AuditEntry(TenantScopedModel):
    """One line of the store's audit log (tenants/audit.py): append-only."""

    actor = models.CharField(max_length=200)  # "user:<email>", "api:<key prefix>"
    action = models.CharField(max_length=64)  # "<area>.<verb>": "order.note_added"
    object_type = models.CharField(max_length=64, blank=True)  # "order", "api_key", …
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=500)
    ip = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantScopedModel.Meta):
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="audit_tenant_created"),
            models.Index(fields=["tenant", "action", "-created_at"], name="audit_tenant_action"),
        ]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        # Append-only: an entry is written once (audit_record uses bulk_create) and never
        # changed; this catches a careless save() of a stored row.
        if self.pk is not None:
            raise PermissionError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries cannot be deleted")
