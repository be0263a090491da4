"""Tenants' own tracking domains (`Brand.custom_tracking_domain`, e.g. track.retailer.com):
the Host header names the tenant, and such a host serves that tenant's shopper pages only.

    request ─▶ TenantHostMiddleware (first of the middleware)
                 Host one of SITE_HOSTS (env ALLOWED_HOSTS) ─▶ the whole site, as always
                 Host a tenant's tracking domain ─▶ request.host_tenant_id = the tenant,
                                                    request.urlconf = SHOPPER_DOMAIN_URLCONF
                 anything else ─▶ DisallowedHost: 400, logged, as Django refuses it

Django's own ALLOWED_HOSTS check runs on a list fixed at start, and a store maps its domain
at any time: so Django's list is "*" and this middleware is the check (docs/operations.md).
The host → tenant map lives in the shared cache (a page served from cache stays free of SQL);
`tracking_domains_forget` drops a domain's entry after a brand changes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import transaction

from .models import Brand, Tenant
from .rls import cross_tenant

# A DNS name as a store can enter it (tenants.forms checks the same shape); anything else is
# refused before the cache or the database is asked.
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
CACHE_TTL = 300  # a suspended store's domain stops answering within five minutes
NO_TENANT = 0  # cached for a host that is no store's, so a probe costs one query per TTL


def request_host(request) -> str:
    """The Host header without port or trailing dot, lower-cased ("" when absent)."""
    raw = (request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME") or "").lower()
    if raw.startswith("["):  # an IPv6 literal, "[::1]:8000"
        return raw.split("]", 1)[0] + "]"
    return raw.rsplit(":", 1)[0].rstrip(".") if raw.count(":") <= 1 else raw


def site_host(host: str, patterns: Iterable[str]) -> bool:
    """`host` matches one of the site's own host patterns, with ALLOWED_HOSTS' meaning:
    "*" anything, ".example.com" the domain and its subdomains, else the exact name."""
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:]):
            return True
    return False


def _cache_key(host: str) -> str:
    return f"tracking-domain:{host}"


def tracking_domain_tenant_id(host: str) -> int | None:
    """The active tenant whose tracking domain `host` is, else None (cached either way)."""
    if not HOST_RE.match(host) or len(host) > 253:
        return None
    tenant_id = cache.get(_cache_key(host))
    if tenant_id is None:
        with cross_tenant("the Host header names the tenant"):
            tenant_id = (Brand.objects.unscoped(reason="the Host header names the tenant")
                         .filter(custom_tracking_domain=host, tenant__status=Tenant.Status.ACTIVE)
                         .values_list("tenant_id", flat=True).first()) or NO_TENANT
        cache.set(_cache_key(host), tenant_id, CACHE_TTL)
    return tenant_id or None


def tracking_domains_forget(*domains: str | None) -> None:
    """After commit, drop what the cache holds for these domains (a brand's old and new one)."""
    keys = [_cache_key(domain) for domain in domains if domain]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))


class TenantHostMiddleware:
    """Routes a tenant's tracking domain to its shopper pages, refuses unknown hosts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.host_tenant_id = None
        host = request_host(request)
        # The site's own names first and without a cache round trip (the usual case); a
        # store's domain before the site's wildcards, so ".example.com" cannot open the
        # dashboard on a store's track.example.com.
        if host not in {pattern.lower() for pattern in settings.SITE_HOSTS}:
            tenant_id = tracking_domain_tenant_id(host)
            if tenant_id is not None:
                request.host_tenant_id = tenant_id
                request.urlconf = settings.SHOPPER_DOMAIN_URLCONF
            elif not site_host(host, settings.SITE_HOSTS):
                raise DisallowedHost(f"Invalid HTTP_HOST header: {host!r}. It is neither in "
                                     "ALLOWED_HOSTS nor a store's tracking domain.")
        return self.get_response(request)


def host_serves(request, tenant_id: int) -> bool:
    """May this request's host show a page of `tenant_id`? Doorstep's own hosts show every
    store's; a store's tracking domain only its own (another's token there is a 404)."""
    host_tenant_id = getattr(request, "host_tenant_id", None)
    return host_tenant_id is None or host_tenant_id == tenant_id
