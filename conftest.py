"""Fixtures for the whole suite, including the three standing personas:

    Alice: owner of tenant A ("Alpha Outfitters")      Bob: agent in tenant A
    Carol: owner of tenant B ("Beta Bikes")

Cross-tenant tests use them: whatever Alice's tenant owns, Carol must never reach.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest

from tenants.permissions import ApiKeyScope, Role

REQUIRE_SERVICES = os.environ.get("DOORSTEP_REQUIRE_SERVICES") == "1"
# fake_sendgrid, fake_twilio, fake_smtp; real_worker
pytest_plugins = ["tests.fakes.fixtures", "tests.celery_support"]

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """PostgreSQL and Redis are always there (config.test_settings starts the embedded ones
    when the machine has none). Browser tests need Chromium and say why when skipped; CI sets
    DOORSTEP_REQUIRE_SERVICES=1: there, a missing Chromium fails the run instead."""
    missing = {}
    if not os.path.exists(CHROMIUM):
        missing["browser"] = f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    if REQUIRE_SERVICES and missing:
        raise pytest.UsageError("DOORSTEP_REQUIRE_SERVICES=1 but: " + "; ".join(missing.values()))
    for item in items:
        for marker, reason in missing.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Personas:
    alice: object
    bob: object
    carol: object
    tenant_a: object
    tenant_b: object
    alice_key: str  # raw read-write API key of tenant A
    carol_key: str  # raw read-write API key of tenant B


@pytest.fixture
def personas(db) -> Personas:
    from tenants import services
    from tenants.context import tenant_scope
    from tenants.tests.factories import UserFactory, add_member, make_tenant

    alice = UserFactory(email="alice@alpha.test", username="alice")
    bob = UserFactory(email="bob@alpha.test", username="bob")
    carol = UserFactory(email="carol@beta.test", username="carol")
    tenant_a = make_tenant("Alpha Outfitters", alice, slug="alpha")
    tenant_b = make_tenant("Beta Bikes", carol, slug="beta")
    add_member(tenant_a, bob, Role.AGENT)
    keys = []
    for tenant, name, owner in ((tenant_a, "Alpha ERP", alice), (tenant_b, "Beta ERP", carol)):
        with tenant_scope(tenant):  # set-up runs in the scope of the tenant it makes rows for
            keys.append(services.api_key_create(tenant, name=name, scope=ApiKeyScope.READ_WRITE,
                                                actor=owner)[1])
    alice_key, carol_key = keys
    return Personas(alice, bob, carol, tenant_a, tenant_b, alice_key, carol_key)


# Test set-up is strict: a test's own code (fixtures, factories, assertions) runs in the scope
# of the tenant it makes or reads rows for (`tenant_scope`, the factories' `in_scope`), or on
# the named cross-tenant path where it truly reads two stores at once (`with cross_tenant(
# "why")`); outside them it sees no tenant's row, as the application does (tenants/rls.py).


@pytest.fixture
def api_client():
    """A DRF test client; `api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")`."""
    from rest_framework.test import APIClient

    return APIClient()
