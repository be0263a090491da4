"""Paths that run outside a request's or a task's scope work under row-level security.

Each runs here as in production: no tenant in scope and no cross-tenant path for the test's
own code (conftest.py), with two stores' rows in the database, so a path that forgets to enter
a store's scope, or to take the named cross-tenant path, sees nothing and fails or does
nothing. The list of every such path, with its verdict and its test: docs/operations.md,
"Row-level security".
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from config.celery import app
from orders.models import OrderMilestone
from returns.models import ReturnMilestoneRecord
from tenants.context import get_current_tenant, tenant_scope

from .test_tenant_deletion import a_busy_store, owned_rows

pytestmark = pytest.mark.django_db

PERIODIC = sorted(app.conf.beat_schedule)


@pytest.fixture
def two_busy_stores(personas):
    """Orders, parcels, returns and the milestones they left unannounced (the test's
    transaction never commits, so no on-commit task announced them), in both stores."""
    a_busy_store(personas.tenant_a)
    a_busy_store(personas.tenant_b)
    return personas


def _unannounced(tenant) -> tuple[int, int]:
    with tenant_scope(tenant):
        return (OrderMilestone.objects.filter(announced_at=None).count(),
                ReturnMilestoneRecord.objects.filter(announced_at=None).count())


@pytest.mark.parametrize("entry", PERIODIC)
def test_every_periodic_job_runs_outside_any_scope(two_busy_stores, entry):
    """Beat starts each job with no tenant: a sweep enters each store's scope, a fan-out
    queues a task per store (run here eagerly, errors propagated)."""
    app.loader.import_default_modules()  # what a worker imports: every app's tasks
    assert get_current_tenant() is None
    app.tasks[app.conf.beat_schedule[entry]["task"]].apply(throw=True)


def test_the_sweeps_announce_what_every_store_left_unannounced(two_busy_stores):
    from orders.tasks import orders_sweep
    from returns.tasks import returns_sweep

    p = two_busy_stores
    assert all(n > 0 for t in (p.tenant_a, p.tenant_b) for n in _unannounced(t))

    assert orders_sweep() == 2
    assert returns_sweep() == 2

    assert _unannounced(p.tenant_a) == _unannounced(p.tenant_b) == (0, 0)


@pytest.fixture
def staff_client(client):
    operator = get_user_model().objects.create_superuser("ops", "ops@doorstep.test", "pw")
    client.force_login(operator)
    return client


@pytest.mark.parametrize("model", ["membership", "invitation", "brand", "apikey", "credential"])
def test_the_admin_lists_every_stores_rows(staff_client, personas, model):
    """The operator's admin runs on the named cross-tenant path (the middleware): its lists
    show both stores' rows."""
    from tenants import services

    for tenant, owner in ((personas.tenant_a, personas.alice), (personas.tenant_b, personas.carol)):
        with tenant_scope(tenant):
            services.invitation_create(tenant, email=f"new@{tenant.slug}.test", role="viewer",
                                       actor=owner)
            services.credential_set(tenant, "easypost", {"webhook_secret": "s3cret"})
    body = staff_client.get(reverse(f"admin:tenants_{model}_changelist")).content.decode()
    assert "Alpha Outfitters" in body and "Beta Bikes" in body


def test_the_admin_deletes_a_store_with_everything_it_owns(staff_client, two_busy_stores):
    p = two_busy_stores
    beta_before = owned_rows(p.tenant_b.pk)

    response = staff_client.post(reverse("admin:tenants_tenant_delete", args=[p.tenant_a.pk]),
                                 {"post": "yes"})

    assert response.status_code == 302
    assert owned_rows(p.tenant_a.pk) == {}
    assert owned_rows(p.tenant_b.pk) == beta_before


def test_signing_up_makes_a_store_whose_owner_then_works_in_it(client):
    """Sign-up (allauth) runs with no tenant: the new store is made, its brand, membership and
    default journey in its own scope; after the e-mail is confirmed the owner is in it."""
    from messaging.models import Journey
    from tenants.models import Brand, Membership, Tenant

    password = "a long and unusual passphrase"
    response = client.post(reverse("account_signup"), {
        "store_name": "Gamma Gear", "email": "gina@gamma.test",
        "password1": password, "password2": password})
    assert response.status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[-1].body)
    client.post(link.group(1))

    assert "Gamma Gear" in client.get(reverse("dashboard:home")).content.decode()
    with tenant_scope(Tenant.objects.get(name="Gamma Gear")):
        assert Membership.objects.get().user.email == "gina@gamma.test"
        assert Brand.objects.get().sender_name == "Gamma Gear"
        assert Journey.objects.exists()


def test_a_change_committed_after_its_scope_ended_still_forgets_the_cached_page(
        client, personas, django_capture_on_commit_callbacks):
    """The demo seeder's transaction (and a new store's) outlives the store's scope: the page
    a change makes stale is found in the scope, and forgotten after the commit."""
    from tracking.tests.page_support import make_parcel

    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    assert "Hi Sam" in client.get(parcel.url).content.decode()  # cached now
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(personas.tenant_a):
        parcel.customer.first_name = "Samira"
        parcel.customer.save()
    assert "Hi Samira" in client.get(parcel.url).content.decode()
