"""The scope is entered once, at an edge; everything below runs in it.

    edge (request, API key, public token, webhook slug, task, command, sweep, test)
        └─ tenant_scope(tenant) / activate_tenant(tenant)     once; a second one raises
               services: require_tenant(tenant)               the scope in force is theirs
               an edge for another tenant starts from no_tenant()   (explicit, greppable)

The runtime refuses a second scope (another tenant's or the same one's); a scan of the
application's code finds every place that enters a scope, and each is an edge listed below.
"""

from __future__ import annotations

import ast

import pytest
from django.utils import timezone

from messaging.journeys import messages_plan
from tenants import services
from tenants.context import (
    TenantNotSetError,
    TenantScopeReentered,
    activate_tenant,
    get_current_tenant,
    no_tenant,
    require_tenant,
    tenant_scope,
)
from tenants.signals import tenant_created
from tenants.tests.factories import UserFactory
from tests.tenancy.test_escapes import ROOT, _application_files

pytestmark = pytest.mark.django_db

# --- the runtime: one scope, entered once ----------------------------------------------------


def test_a_scope_inside_another_tenants_scope_is_refused(personas):
    with tenant_scope(personas.tenant_a), pytest.raises(TenantScopeReentered), \
            tenant_scope(personas.tenant_b):
        pass  # pragma: no cover - never entered


def test_the_same_tenants_scope_is_not_entered_twice(personas):
    with tenant_scope(personas.tenant_a), pytest.raises(TenantScopeReentered), \
            tenant_scope(personas.tenant_a):
        pass  # pragma: no cover - never entered


def test_a_refused_scope_leaves_the_outer_one_as_it_was(personas):
    with tenant_scope(personas.tenant_a):
        with pytest.raises(TenantScopeReentered), tenant_scope(personas.tenant_b):
            pass  # pragma: no cover - never entered
        assert get_current_tenant() == personas.tenant_a
    assert get_current_tenant() is None


def test_an_edge_fills_an_empty_slot_only(personas):
    with no_tenant():
        activate_tenant(personas.tenant_a)
        assert get_current_tenant() == personas.tenant_a
        with pytest.raises(TenantScopeReentered):
            activate_tenant(personas.tenant_b)
        with pytest.raises(TenantScopeReentered):
            tenant_scope(personas.tenant_a).__enter__()
    assert get_current_tenant() is None


def test_an_edge_for_another_tenant_starts_from_an_empty_slot(personas):
    with tenant_scope(personas.tenant_a):
        with no_tenant(), tenant_scope(personas.tenant_b):
            assert get_current_tenant() == personas.tenant_b
        assert get_current_tenant() == personas.tenant_a


# --- services run in their caller's scope ----------------------------------------------------


def test_require_tenant_accepts_the_scope_in_force_only(personas):
    with pytest.raises(TenantNotSetError, match="the scope in force is empty"):
        require_tenant(personas.tenant_a)
    with tenant_scope(personas.tenant_b), pytest.raises(TenantNotSetError, match="tenant"):
        require_tenant(personas.tenant_a)
    with tenant_scope(personas.tenant_a):
        assert require_tenant(personas.tenant_a) == personas.tenant_a


def test_a_service_given_its_tenant_refuses_another_tenants_scope(personas):
    """messages_plan does not enter its tenant's scope: run in Carol's, for Alice's store, it
    refuses before reading or writing anything."""
    with tenant_scope(personas.tenant_b), pytest.raises(TenantNotSetError):
        messages_plan(personas.tenant_a, milestone="shipped", occurred_at=timezone.now())
    with pytest.raises(TenantNotSetError):
        messages_plan(personas.tenant_a, milestone="shipped", occurred_at=timezone.now())


def test_a_services_chain_runs_in_the_one_scope_its_edge_entered(personas):
    """The default journey installs the default templates, both in the caller's scope: no
    step re-enters it (a re-entry would raise)."""
    from messaging.journeys import default_journey_install

    with tenant_scope(personas.tenant_a):
        journey = default_journey_install(personas.tenant_a)  # installed already: found again
        assert journey.tenant_id == personas.tenant_a.pk


def test_a_new_tenant_is_announced_inside_its_own_scope():
    seen = []

    def receiver(sender, *, tenant, **kwargs):
        seen.append((tenant.pk, get_current_tenant()))

    tenant_created.connect(receiver, dispatch_uid="test-one-scope")
    try:
        tenant = services.tenant_create(name="Epsilon", owner=UserFactory())
    finally:
        tenant_created.disconnect(dispatch_uid="test-one-scope")
    assert seen == [(tenant.pk, tenant)]
    assert get_current_tenant() is None


def test_making_a_store_is_refused_inside_another_stores_scope(personas):
    """tenant_create is an edge: a member making a second store leaves the first one's scope
    explicitly (the dashboard's store_create view does, with no_tenant())."""
    with tenant_scope(personas.tenant_a), pytest.raises(TenantScopeReentered):
        services.tenant_create(name="Zeta", owner=personas.alice)


def test_a_task_run_in_its_callers_scope_runs_in_its_own_tenants(personas):
    """A task is an edge: run eagerly (tests, CELERY_TASK_ALWAYS_EAGER) it starts from an empty
    slot, as in a worker, and enters its own tenant's scope."""
    from tenants.inbound import inbound_store
    from tenants.tasks import inbound_purge

    with tenant_scope(personas.tenant_b):
        inbound_store(personas.tenant_b, source="test", body=b"{}", headers={})
    with tenant_scope(personas.tenant_a):
        inbound_purge.apply(args=(personas.tenant_b.pk,)).get()
        assert get_current_tenant() == personas.tenant_a


# --- the code: only edges enter a scope ------------------------------------------------------

ENTERS = {"tenant_scope", "activate_tenant"}

# (file, function) → which edge it is. Each must still enter a scope (a stale entry fails).
EDGES = {
    ("tenants/middleware.py", "_resolve"): "a dashboard request: the session's store",
    ("tenants/api/authentication.py", "authenticate"): "an API request: the key's store",
    ("tenants/inbound.py", "inbound_edge"): "a webhook: the URL's store, then the signature",
    ("tenants/inbound.py", "unknown_source_edge"): "a webhook to a source we do not have",
    ("messaging/views.py", "message_for_token"): "a public token (open, unsubscribe)",
    ("messaging/views.py", "click_redirect"): "a public token (a click, checked first)",
    ("tracking/public/views.py", "tracking_page"): "a public token: the tracking page (not cached)",
    ("tracking/public/views.py", "recommendation_click"): "a public token: a recommendation",
    ("tracking/public/feedback.py", "delivery_feedback"): "a public token: delivery feedback",
    ("tracking/lookup/views.py", "_lookup"): "a store's slug: the tracking lookup",
    ("returns/portal/views.py", "return_start"): "a store's slug or domain: the returns portal",
    ("returns/portal/views.py", "return_new"): "the portal's signed grant for one order",
    ("returns/portal/views.py", "return_status"): "a return's public token",
    ("returns/portal/views.py", "return_photo"): "a return's public token: one of its photos",
    ("returns/portal/views.py", "return_authorization"): "a return's public token: its return form",
    ("tenants/views/invitations.py", "invitation_accept"): "an invitation's token",
    ("tenants/accounts.py", "save"): "sign-up through an invitation's token",
    ("tenants/services.py", "tenant_create"): "makes the tenant, and announces it in its scope",
    ("tenants/services.py", "tenant_delete"): "an operator deletes a store: the cascade in its scope",
    ("tenants/tasks.py", "run"): "tenant_task: a task's tenant_id",
    ("tenants/admin.py", "save_model"): "the Django admin: one row's store",
    ("orders/admin.py", "change_view"): "the Django admin: one row's store",
    ("orders/tasks.py", "orders_sweep"): "a sweep, store by store",
    ("tracking/tasks.py", "tracking_sweep"): "a sweep, store by store",
    ("returns/tasks.py", "returns_sweep"): "a sweep, store by store",
    ("tracking/pageviews.py", "_tenant_flush"): "the page-view counts' flush, store by store",
    ("orders/demo.py", "seed_demo"): "an operator's seeder: the demo store",
    ("tracking/demo.py", "seed_demo_shipments"): "an operator's seeder: the demo store",
    ("returns/demo.py", "seed_demo_returns"): "an operator's seeder: the demo store",
    ("tenants/management/commands/create_tenant.py", "_create"):
        "an operator's command: the store it just made, for its first API key",
    ("messaging/management/commands/install_default_journeys.py", "handle"):
        "an operator's command, store by store",
    ("recommendations/management/commands/recommendations_recompute.py", "handle"):
        "an operator's command, store by store",
    ("orders/management/commands/import_transactions.py", "handle"):
        "an operator's command: one store's transactions",
    ("analytics/management/commands/analytics_rebuild.py", "handle"):
        "an operator's command, store by store",
    ("analytics/management/commands/analytics_reconcile.py", "handle"):
        "an operator's command, store by store",
    ("scripts/api_fuzz.py", "seed"): "a script's throwaway store",
}


def scope_entries_in(tree: ast.AST) -> set[str]:
    """The functions that call tenant_scope or activate_tenant (the innermost one)."""
    found = set()

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Call) and ast.unparse(child.func).rpartition(".")[2] in ENTERS:
                found.add(function)
            visit(child, function)

    visit(tree, "<module>")
    return found


def test_the_scan_finds_a_scope_entered_below_an_edge():
    tree = ast.parse("def brand_set(tenant):\n    with tenant_scope(tenant):\n        pass\n"
                     "def edge(request):\n    context.activate_tenant(t)\n")
    assert scope_entries_in(tree) == {"brand_set", "edge"}


def test_only_edges_enter_the_scope():
    found = set()
    for path in _application_files():
        if path.relative_to(ROOT).as_posix() == "tenants/context.py":
            continue  # where the scope is defined
        tree = ast.parse(path.read_text(), str(path))
        found |= {(path.relative_to(ROOT).as_posix(), name) for name in scope_entries_in(tree)}
    below = sorted(found - EDGES.keys())
    assert not below, (
        "only an edge enters the scope: run in the caller's (check it with "
        f"require_tenant(tenant)), or add the edge to EDGES with what it is: {below}")
    stale = sorted(EDGES.keys() - found)
    assert not stale, f"no longer an edge: drop from EDGES: {stale}"
