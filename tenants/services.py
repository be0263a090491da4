"""Every write to tenants, members, invitations, brands, API keys and credentials."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from config.errors import Conflict, PermissionDenied, ValidationFailed

from . import credentials as creds
from .access import access_api_key, access_invitation, access_membership
from .audit import audit_record, user_actor
from .context import require_tenant, tenant_scope
from .domains import tracking_domains_forget
from .models import ApiKey, Brand, Credential, Invitation, Membership, Tenant
from .permissions import ASSIGNABLE_ROLES, ApiKeyScope, Role
from .rls import cross_tenant
from .signals import tenant_created

logger = logging.getLogger(__name__)
User = get_user_model()

RESERVED_SLUGS = {
    "admin", "api", "app", "static", "media", "accounts", "webhooks", "healthz", "settings",
    "www", "doorstep", "support", "help", "t", "s", "u", "new",
}
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$")
INVITATION_TTL = timedelta(days=7)
API_KEY_PREFIX = "dsk_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- tenants ---------------------------------------------------------------------------

def tenant_slug_suggest(name: str) -> str:
    base = slugify(name)[:40].strip("-") or "store"
    if base in RESERVED_SLUGS or len(base) < 3:
        base = f"{base}-store"
    slug, n = base, 2
    while Tenant.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _validate_tenant_fields(*, slug: str | None = None, timezone_name: str | None = None,
                            locale: str | None = None) -> None:
    errors: dict[str, list[str]] = {}
    if slug is not None and (not SLUG_RE.match(slug) or slug in RESERVED_SLUGS):
        errors["slug"] = ["Use 3-50 lower-case letters, digits and dashes (not a reserved word)."]
    if timezone_name is not None and timezone_name not in zoneinfo.available_timezones():
        errors["timezone"] = [f"Unknown time zone {timezone_name!r}; use e.g. Europe/Berlin."]
    if locale is not None and locale not in dict(settings.LANGUAGES):
        errors["default_locale"] = [f"Choose one of {', '.join(dict(settings.LANGUAGES))}."]
    if errors:
        raise ValidationFailed(details=errors)


@transaction.atomic
def tenant_create(*, name: str, owner: AbstractBaseUser, slug: str | None = None,
                  timezone_name: str = "UTC", locale: str = "en") -> Tenant:
    """A tenant with its brand and its owner's membership, in one transaction. An edge: it
    makes the tenant, so it enters the new tenant's scope, once, and announces the tenant in
    it (higher apps install their defaults in the scope); its callers hold no other tenant's
    (a logged-in member making another store leaves their store's scope first: `no_tenant`)."""
    slug = slug or tenant_slug_suggest(name)
    _validate_tenant_fields(slug=slug, timezone_name=timezone_name, locale=locale)
    if not name.strip():
        raise ValidationFailed(details={"name": ["Give the store a name."]})
    try:
        with transaction.atomic():
            tenant = Tenant.objects.create(slug=slug, name=name.strip(), timezone=timezone_name,
                                           default_locale=locale)
    except IntegrityError:
        raise Conflict(f"The address {slug!r} is taken.", code="slug_taken",
                       details={"slug": ["This address is taken."]}) from None
    with tenant_scope(tenant):
        Brand.objects.create(tenant=tenant, sender_name=tenant.name)
        Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
        logger.info("tenant created", extra={"tenant_id": tenant.pk, "owner_id": owner.pk})
        # Inside the transaction: a tenant never exists without what higher apps set up for it.
        tenant_created.send(sender=Tenant, tenant=tenant)
    return tenant


def tenant_delete(tenant_id: int) -> None:
    """Delete a store and everything it owns: an operator's last resort (a benchmark's or the
    API fuzz run's throwaway store). An edge: the cascade runs in the store's own scope, where
    row-level security shows every row it owns and none of another store's (outside any scope
    it saw none, and the DELETE broke a foreign key)."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return
    with tenant_scope(tenant):
        Tenant.objects.filter(pk=tenant.pk).delete()


def tenant_update(tenant: Tenant, *, actor: AbstractBaseUser | None = None, **fields) -> Tenant:
    allowed = {"name", "timezone", "default_locale", "require_two_factor"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(details={k: ["Cannot be changed here."] for k in sorted(unknown)})
    _validate_tenant_fields(timezone_name=fields.get("timezone"), locale=fields.get("default_locale"))
    for key, value in fields.items():
        setattr(tenant, key, value)
    tenant.save(update_fields=list(fields))
    audit_record(tenant, actor=user_actor(actor), action="settings.changed",
                 summary="Changed " + ", ".join(sorted(fields)), object_type="tenant",
                 object_id=tenant.pk, data={"fields": sorted(fields)})
    return tenant


# --- brand -----------------------------------------------------------------------------

def brand_get(tenant: Tenant) -> Brand:
    require_tenant(tenant)  # row-level security: the brand is readable in its scope only
    brand, _ = Brand.objects.unscoped(reason="one brand per tenant, looked up by tenant").get_or_create(
        tenant=tenant, defaults={"sender_name": tenant.name}
    )
    return brand


def brand_update(tenant: Tenant, *, actor: AbstractBaseUser | None = None, **fields) -> Brand:
    """Fields are validated by the caller's form or serializer, and again by the model."""
    brand = brand_get(tenant)
    old_domain = brand.custom_tracking_domain
    for key, value in fields.items():
        setattr(brand, key, value)
    if not brand.custom_tracking_domain:
        brand.custom_tracking_domain = None
    try:
        # A domain is unique across tenants: the database's unique constraint decides (row-
        # level security shows this scope no other store's brand, nor should it).
        brand.full_clean(exclude=["tenant", "logo"], validate_unique=False,
                         validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationFailed(details=exc.message_dict) from None
    try:
        with transaction.atomic():
            brand.save()
    except IntegrityError:
        raise ValidationFailed(details={
            "custom_tracking_domain": ["Another store already uses this domain."]}) from None
    if old_domain != brand.custom_tracking_domain:
        tracking_domains_forget(old_domain, brand.custom_tracking_domain)
    audit_record(tenant, actor=user_actor(actor), action="brand.changed",
                 summary="Changed the brand: " + ", ".join(sorted(fields)), object_type="brand",
                 object_id=brand.pk, data={"fields": sorted(fields)})
    return brand


# --- members ---------------------------------------------------------------------------

def _owner_count(tenant: Tenant) -> int:
    return Membership.objects.unscoped(reason="count owners of one tenant").filter(
        tenant=tenant, role=Role.OWNER).count()


def _check_can_assign(tenant: Tenant, actor_role: str, role: str) -> None:
    if role not in Role.values:
        raise ValidationFailed(details={"role": [f"Choose one of {', '.join(Role.values)}."]})
    if role not in ASSIGNABLE_ROLES.get(actor_role, ()):
        raise PermissionDenied(f"A {actor_role} cannot give the {role} role.")


@transaction.atomic
def membership_change_role(tenant: Tenant, membership_id: int, role: str, *,
                           actor: AbstractBaseUser) -> Membership:
    actor_role = membership_role(tenant, actor)
    membership = access_membership(tenant, membership_id)
    _check_can_assign(tenant, actor_role, role)
    if membership.role == Role.OWNER and actor_role != Role.OWNER:
        raise PermissionDenied("Only an owner can change another owner's role.")
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(tenant) == 1:
        raise Conflict("A store needs at least one owner; make someone else owner first.",
                       code="last_owner")
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(tenant, actor=user_actor(actor), action="member.role_changed",
                 summary=f"{membership.user.email}: {before} → {role}", object_type="membership",
                 object_id=membership.pk, data={"before": before, "after": role})
    return membership


@transaction.atomic
def membership_remove(tenant: Tenant, membership_id: int, *, actor: AbstractBaseUser) -> None:
    actor_role = membership_role(tenant, actor)
    membership = access_membership(tenant, membership_id)
    if membership.role == Role.OWNER and actor_role != Role.OWNER:
        raise PermissionDenied("Only an owner can remove an owner.")
    if membership.role == Role.OWNER and _owner_count(tenant) == 1:
        raise Conflict("A store needs at least one owner.", code="last_owner")
    audit_record(tenant, actor=user_actor(actor), action="member.removed",
                 summary=f"Removed {membership.user.email} ({membership.role})",
                 object_type="membership", object_id=membership.pk)
    membership.delete()


def membership_role(tenant: Tenant, user: AbstractBaseUser) -> str:
    membership = Membership.objects.unscoped(reason="role of a known user in a known tenant").filter(
        tenant=tenant, user=user).first()
    if membership is None:
        raise PermissionDenied("You are not a member of this store.")
    return membership.role


# --- invitations -----------------------------------------------------------------------

def invitation_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("invitation_accept", args=[token])


def invitation_create(tenant: Tenant, *, email: str, role: str,
                      actor: AbstractBaseUser) -> tuple[Invitation, str]:
    """Invite by e-mail; the raw token exists only in the e-mail and this return value."""
    require_tenant(tenant)
    email = User.objects.normalize_email(email).strip().lower()
    _check_can_assign(tenant, membership_role(tenant, actor), role)
    if Membership.objects.unscoped(reason="is the invitee already a member").filter(
            tenant=tenant, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member.", code="already_member",
                       details={"email": ["Already a member of this store."]})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        # Re-inviting replaces an earlier open invitation (a fresh link, a fresh expiry).
        Invitation.objects.filter(email=email, accepted_at=None, revoked_at=None).update(
            revoked_at=now)
        invitation = Invitation.objects.create(
            email=email, role=role, token_hash=_digest(token), invited_by=actor,
            expires_at=now + INVITATION_TTL)
        url = invitation_url(token)
        audit_record(tenant, actor=user_actor(actor), action="member.invited",
                     summary=f"Invited {email} as {role}", object_type="invitation",
                     object_id=invitation.pk)
        transaction.on_commit(lambda: send_mail(
            subject=f"[Doorstep] {actor.email} invited you to {tenant.name}",
            message=(f"You have been invited to join {tenant.name} on Doorstep as "
                     f"{Role(role).label.lower()}.\n\nAccept the invitation: {url}\n\n"
                     f"The link works once and expires in {INVITATION_TTL.days} days."),
            from_email=None, recipient_list=[email]))
    return invitation, token


def invitation_revoke(tenant: Tenant, invitation_id: int, *, actor: AbstractBaseUser) -> None:
    invitation = access_invitation(tenant, invitation_id)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(tenant, actor=user_actor(actor), action="member.invitation_revoked",
                     summary=f"Revoked the invitation of {invitation.email}",
                     object_type="invitation", object_id=invitation.pk)


def invitation_get_by_token(token: str) -> Invitation | None:
    """Public-token resolution: the token names the tenant. Open, unexpired ones only."""
    with cross_tenant("public invitation token resolves the tenant"):
        return Invitation.objects.unscoped(reason="public invitation token resolves the tenant").filter(
            token_hash=_digest(token), accepted_at=None, revoked_at=None,
            expires_at__gt=timezone.now(),
        ).select_related("tenant").first()


@transaction.atomic
def invitation_accept(invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """In the invitation's tenant's scope, which its token resolved (the caller's edge)."""
    require_tenant(invitation.tenant)
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied(
            f"This invitation is for {invitation.email}; you are logged in as {user.email}.")
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at or locked.revoked_at or locked.expires_at <= timezone.now():
        raise Conflict("This invitation is no longer valid.", code="invitation_used")
    locked.accepted_at, locked.accepted_by = timezone.now(), user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    membership, created = Membership.objects.get_or_create(
        user=user, defaults={"role": locked.role})
    return membership


def invitations_purge_expired(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Drop long-expired, never-used invitations (their links stopped working long ago)."""
    cutoff = timezone.now() - older_than
    with cross_tenant("housekeeping across tenants"):
        deleted, _ = Invitation.objects.unscoped(reason="housekeeping across tenants").filter(
            accepted_at=None, expires_at__lt=cutoff).delete()
    return deleted


# --- API keys --------------------------------------------------------------------------

def api_key_create(tenant: Tenant, *, name: str, scope: str = ApiKeyScope.READ_WRITE,
                   actor: AbstractBaseUser | None = None) -> tuple[ApiKey, str]:
    """Returns the key object and the raw key, which is shown once and never stored."""
    if not name or not name.strip():
        raise ValidationFailed(details={"name": ["Name the key after what uses it."]})
    if scope not in ApiKeyScope.values:
        raise ValidationFailed(details={"scope": [f"Choose one of {', '.join(ApiKeyScope.values)}."]})
    require_tenant(tenant)  # row-level security: the key is written in its tenant's scope
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(tenant=tenant, name=name.strip()[:100], prefix=raw[:12], key_hash=_digest(raw),
                 scope=scope, created_by=actor)
    key.save()
    audit_record(tenant, actor=user_actor(actor), action="api_key.created",
                 summary=f"Created API key “{key.name}” ({key.prefix}…, {scope})",
                 object_type="api_key", object_id=key.pk)
    return key, raw


def api_key_revoke(tenant: Tenant, key_id: int, *, actor: AbstractBaseUser | None = None) -> ApiKey:
    key = access_api_key(tenant, key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(tenant, actor=user_actor(actor), action="api_key.revoked",
                     summary=f"Revoked API key “{key.name}” ({key.prefix}…)",
                     object_type="api_key", object_id=key.pk)
    return key


LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The key whose hash matches, if it is active and its tenant is; touches last-used at
    most once a minute so authentication is not a write per request."""
    with cross_tenant("the API key resolves the tenant"):
        key = ApiKey.objects.unscoped(reason="API key resolves the tenant").select_related(
            "tenant").filter(key_hash=_digest(raw)).first()
        if key is None or key.revoked_at is not None or not key.tenant.is_active:
            return None
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.unscoped(reason="touch the key just authenticated").filter(
                pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
    return key


# --- credentials -----------------------------------------------------------------------

def credential_fields(tenant: Tenant, name: str) -> dict[str, str] | None:
    """Decrypted fields for provider code; None when the tenant has not set them. In the
    tenant's scope (row-level security: outside it every tenant would seem to have none)."""
    require_tenant(tenant)
    row = Credential.objects.unscoped(reason="credential of a known tenant").filter(
        tenant=tenant, name=name).first()
    return creds.decrypt_fields(row.ciphertext) if row else None


@transaction.atomic
def credential_set(tenant: Tenant, name: str, fields: object, *, merge: bool = False,
                   actor: AbstractBaseUser | None = None) -> dict[str, str]:
    """Replace (or with `merge`, update) a provider's fields; validated, then encrypted.
    Fields left empty in a merge keep their stored value: secrets are never shown back, so
    a form cannot send them again."""
    require_tenant(tenant)
    if merge and isinstance(fields, dict):
        current = credential_fields(tenant, name) or {}
        fields = {**current, **{k: v for k, v in fields.items() if v not in (None, "")}}
    cleaned = creds.credential_validate(name, fields)
    Credential.objects.unscoped(reason="credential of a known tenant").update_or_create(
        tenant=tenant, name=name,
        defaults={"ciphertext": creds.encrypt_fields(cleaned), "updated_by": actor})
    logger.info("credential set", extra={"credential": name, "fields": sorted(cleaned)})
    audit_record(tenant, actor=user_actor(actor), action="credential.set",
                 summary=f"Set the {name} credentials (fields: {', '.join(sorted(cleaned))})",
                 object_type="credential", object_id=name)
    return cleaned


def credential_delete(tenant: Tenant, name: str, *, actor: AbstractBaseUser | None = None) -> bool:
    require_tenant(tenant)
    deleted, _ = Credential.objects.unscoped(reason="delete a known tenant's credential").filter(
        tenant=tenant, name=name).delete()
    if deleted:
        audit_record(tenant, actor=user_actor(actor), action="credential.removed",
                     summary=f"Removed the {name} credentials", object_type="credential",
                     object_id=name)
    return bool(deleted)


def credentials_rotate() -> int:
    """Re-encrypt every credential with the newest key (after a key was added in front)."""
    rows = Credential.objects.unscoped(reason="operator key rotation across tenants")
    count = 0
    with cross_tenant("operator key rotation across tenants"):
        for row in rows.iterator():
            Credential.objects.unscoped(reason="operator key rotation").filter(pk=row.pk).update(
                ciphertext=creds.reencrypt(row.ciphertext))
            count += 1
    return count
