"""Which tenant a webhook URL names, and its secret for the source: on every delivery.

    /webhooks/<source>/<tenant-slug>/ ──▶ tenant_credential_by_slug(slug, source)
        kept in this process for WEBHOOK_TENANT_CACHE_SECONDS ──▶ (Tenant, decrypted fields)
        miss: one statement (tenant LEFT JOIN credential)

Keeping the answer for a few seconds spares a database round trip on every webhook, the one
that mattered most under load. A change made in this process (a secret set or removed, a
tenant saved or deleted) clears it at once; other processes see it within the TTL, so for a
few seconds after a rotation a delivery signed with the new secret may be refused with 401:
it is stored all the same, the provider retries, and it can be replayed.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_save

from config import db

from . import credentials as creds
from .models import Credential, Tenant
from .rls import cross_tenant

# (slug, source) → (when it was read, the tenant's column values or None, the credential's
# decrypted fields or None). Decrypted once per read, not per delivery: Fernet's check and
# decryption were 0.23 ms of a webhook's ~3 ms in this process.
_cache: dict[tuple[str, str], tuple[float, tuple | None, dict[str, str] | None]] = {}
_CACHE_MAX = 10_000  # distinct (store, source) pairs kept at most: cleared when reached
_FIELDS = Tenant._meta.concrete_fields
_ATTNAMES = [f.attname for f in _FIELDS]


def tenant_credential_by_slug(slug: str, name: str) -> tuple[Tenant | None, dict[str, str] | None]:
    """The active tenant named `slug`, with its decrypted fields for credential `name` (None
    when not set); (None, None) when there is no such active tenant."""
    ttl = settings.WEBHOOK_TENANT_CACHE_SECONDS
    now = time.monotonic()
    hit = _cache.get((slug, name))
    if hit is None or now - hit[0] > ttl:
        values, ciphertext = _read(slug, name)
        fields = creds.decrypt_fields(ciphertext) if values is not None and ciphertext else None
        if ttl > 0:
            if len(_cache) >= _CACHE_MAX:
                _cache.clear()
            _cache[(slug, name)] = (now, values, fields)
    else:
        _, values, fields = hit
    if values is None:
        return None, None
    # New objects each time: callers may change the ones they are given.
    tenant = Tenant.from_db(connection.alias, _ATTNAMES, values)
    return tenant, (dict(fields) if fields is not None else None)


def _read(slug: str, name: str) -> tuple[tuple | None, str | None]:
    """One statement written out (config.db): the ORM took four times longer to build this
    join than the database took to answer it."""
    quote = connection.ops.quote_name
    sql = (f"SELECT {', '.join(f't.{quote(f.column)}' for f in _FIELDS)}, "  # noqa: S608
           f"c.ciphertext AS secret FROM {quote(Tenant._meta.db_table)} t "
           f"LEFT JOIN {quote(Credential._meta.db_table)} c ON c.tenant_id = t.id AND c.name = %s "
           "WHERE t.slug = %s AND t.status = %s")
    params = [name, slug, Tenant.Status.ACTIVE]
    with cross_tenant("the webhook URL names the tenant"):
        rows = db.execute(sql, params)
    if not rows:
        return None, None
    return tuple(rows[0][:-1]), rows[0][-1]


def webhook_tenants_forget(**kwargs) -> None:
    """A tenant or credential changed in this process: read them afresh next time."""
    _cache.clear()


def webhook_tenants_connect() -> None:
    """From TenantsConfig.ready(): forget on every save or delete of a tenant or credential."""
    for model in (Tenant, Credential):
        post_save.connect(webhook_tenants_forget, sender=model,
                          dispatch_uid=f"webhook-tenants-save-{model.__name__}")
        post_delete.connect(webhook_tenants_forget, sender=model,
                            dispatch_uid=f"webhook-tenants-delete-{model.__name__}")
