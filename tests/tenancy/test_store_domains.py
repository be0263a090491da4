"""A store's own tracking domain (tenants.domains) is a second URL root: every route it
serves joins the cross-tenant harness, and on store A's domain every route that takes a token
answers store B's token exactly as it answers a token that does not exist."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import URLPattern, get_resolver

from tenants import services
from tenants.context import tenant_scope
from tracking.tests.page_support import make_parcel

from .harness import CASES, NO_TENANT_OBJECT, load_all_cases
from .test_cross_tenant import _has_params, _is_ours, _walk

load_all_cases()

ALPHA = "track.alpha.example"
MISSING_TOKEN = "M" * 32


def domain_urls() -> list[tuple[str, str, URLPattern]]:
    return [u for u in _walk(get_resolver(settings.SHOPPER_DOMAIN_URLCONF).url_patterns)
            if _is_ours(u[2]) and u[0]]


def test_every_url_a_stores_domain_serves_is_covered_by_the_harness():
    uncovered = sorted(f"{name} at /{route}" for name, route, pattern in domain_urls()
                       if _has_params(pattern) and name not in CASES
                       and name not in NO_TENANT_OBJECT)
    assert not uncovered


def _fill(route: str, token: str) -> str:
    return "/" + re.sub(r"<int:\w+>", "1", re.sub(r"<(str:)?token>", token, route))


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted({route for _n, route, pattern in domain_urls()
                                          if "<str:token>" in route or "<token>" in route}))
@pytest.mark.parametrize("method", ["get", "post"])
def test_on_a_stores_domain_another_stores_token_is_a_missing_token(client, personas, route,
                                                                    method):
    cache.clear()
    with tenant_scope(personas.tenant_a):
        services.brand_update(personas.tenant_a, custom_tracking_domain=ALPHA)
    theirs = make_parcel(personas.tenant_b, statuses=("in_transit",))
    call = getattr(client, method)
    foreign = call(_fill(route, theirs.shipment.public_token), HTTP_HOST=ALPHA)
    missing = call(_fill(route, MISSING_TOKEN), HTTP_HOST=ALPHA)
    assert foreign.status_code == missing.status_code and foreign.status_code in (404, 405)
    assert "Beta Bikes" not in foreign.content.decode()
    # The same token on Doorstep's own address is the parcel's page (the case is real).
    if route == "t/<str:token>/" and method == "get":
        assert call(_fill(route, theirs.shipment.public_token)).status_code == 200
