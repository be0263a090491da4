"""Which store and secret a webhook URL names is kept for a few seconds per process: changes
made in this process apply at once, changes made elsewhere within the TTL."""

from __future__ import annotations

import pytest

from tenants import credentials as creds
from tenants import services as tenant_services
from tenants import webhook_tenants
from tenants.context import tenant_scope
from tenants.models import Credential, Tenant
from tenants.rls import cross_tenant

from .test_webhook_pipeline import SECRET, alpha, tracker_body  # noqa: F401

__all__ = ["alpha"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(webhook_tenants.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def post(client):
    from tracking.carriers.signatures import easypost_signature

    def send(secret: str, slug: str = "alpha"):
        body = tracker_body("9400300", [("in_transit", "2026-11-01T18:00:00Z")])
        return client.generic("POST", f"/webhooks/easypost/{slug}/", body,
                              content_type="application/json",
                              HTTP_X_HMAC_SIGNATURE=easypost_signature(body, secret))

    return send


def elsewhere(**changes) -> None:
    """A change made by another process: a plain UPDATE, no signal reaches this one."""
    with cross_tenant("a test reads across stores"):
        Credential.objects.unscoped(reason="test").filter(name="easypost").update(**changes)


def test_a_secret_set_in_this_process_applies_to_the_next_delivery(personas, alpha, post, clock):
    assert post(SECRET).status_code == 202
    with tenant_scope(alpha):
        tenant_services.credential_set(alpha, "easypost", {"webhook_secret": "whsec-new"},
                                       actor=personas.alice)
    assert post("whsec-new").status_code == 202
    assert post(SECRET).status_code == 401


def test_a_secret_rotated_by_another_process_applies_within_the_ttl(settings, alpha, post, clock):
    settings.WEBHOOK_TENANT_CACHE_SECONDS = 5
    assert post(SECRET).status_code == 202
    elsewhere(ciphertext=creds.encrypt_fields({"webhook_secret": "whsec-rotated"}))

    clock[0] += 4
    assert post("whsec-rotated").status_code == 401  # still the secret read 4 s ago
    clock[0] += 2
    assert post("whsec-rotated").status_code == 202


def test_a_store_suspended_elsewhere_stops_receiving_within_the_ttl(settings, alpha, post, clock):
    settings.WEBHOOK_TENANT_CACHE_SECONDS = 5
    assert post(SECRET).status_code == 202
    Tenant.objects.filter(pk=alpha.pk).update(status=Tenant.Status.SUSPENDED)
    clock[0] += 6
    assert post(SECRET).status_code == 404


def test_with_the_cache_off_every_delivery_reads_the_database(settings, alpha, post, clock):
    settings.WEBHOOK_TENANT_CACHE_SECONDS = 0
    assert post(SECRET).status_code == 202
    elsewhere(ciphertext=creds.encrypt_fields({"webhook_secret": "whsec-rotated"}))
    assert post("whsec-rotated").status_code == 202


def test_an_unknown_store_is_404_until_it_is_created(personas, post, clock):
    assert post(SECRET, slug="gamma").status_code == 404
    from tenants.tests.factories import make_tenant

    gamma = make_tenant("Gamma Gear", personas.alice, slug="gamma")
    with tenant_scope(gamma):
        tenant_services.credential_set(gamma, "easypost", {"webhook_secret": SECRET}, actor=personas.alice)
    assert post(SECRET, slug="gamma").status_code == 202


def test_the_kept_secret_is_decrypted_once_and_never_shared(alpha, post, clock, monkeypatch):
    """Decrypted on the read that fills the cache, not on every delivery; each caller gets
    its own copy, so one that changes it cannot change what the next delivery is checked
    against."""
    decrypted = []
    real = creds.decrypt_fields
    monkeypatch.setattr(creds, "decrypt_fields", lambda c: decrypted.append(c) or real(c))
    assert post(SECRET).status_code == 202
    _, fields = webhook_tenants.tenant_credential_by_slug("alpha", "easypost")
    fields["webhook_secret"] = "whsec-changed-by-a-caller"
    assert post(SECRET).status_code == 202
    assert post("whsec-changed-by-a-caller").status_code == 401
    assert len(decrypted) == 1
