"""One tenancy rule: the scope, the raw-SQL layer's explicit tenant, and `unscoped(reason=…)`
as the only escape.

    edge resolves the tenant ──▶ tenant_scope ──▶ Model.objects (filters, or raises)
                              └▶ config.db reads and writes (tenant_id a required argument,
                                 every row checked)
    anything else that reads a tenant's table is on ALLOWED below, with the reason
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from config import db
from orders.models import Customer
from tenants.context import no_tenant, tenant_scope
from tenants.models import InboundWebhook, Tenant
from tenants.rls import cross_tenant

ROOT = Path(__file__).resolve().parents[2]

# --- the raw-SQL layer refuses another tenant's rows ---------------------------------------


@pytest.mark.django_db
def test_rows_insert_refuses_another_tenants_row_and_writes_nothing(personas):
    rows = [Customer(tenant=tenant, external_id=f"escape-{tenant.slug}", email="x@example.com")
            for tenant in (personas.tenant_a, personas.tenant_b)]

    with pytest.raises(ValueError, match=f"every row must belong to tenant {personas.tenant_a.pk}"):
        db.rows_insert(Customer, personas.tenant_a.pk, rows)

    with cross_tenant("a test: nothing written in any store"):
        assert not Customer.objects.unscoped(reason="test: nothing written").filter(
            external_id__startswith="escape-").exists()


@pytest.mark.django_db
def test_row_insert_refuses_another_tenants_row_and_writes_nothing(personas):
    body = InboundWebhook(tenant=personas.tenant_b, source="test", body=b"{}")

    with pytest.raises(ValueError, match=f"every row must belong to tenant {personas.tenant_a.pk}"):
        db.row_insert(personas.tenant_a.pk, body)

    assert body.pk is None
    with cross_tenant("a test: nothing written in any store"):
        assert not InboundWebhook.objects.unscoped(reason="test: nothing written").filter(
            source="test").exists()


@pytest.mark.django_db
def test_rows_insert_writes_the_named_tenants_rows(personas):
    row = Customer(tenant=personas.tenant_a, external_id="escape-ours", email="x@example.com")

    with tenant_scope(personas.tenant_a):
        (inserted,) = db.rows_insert(Customer, personas.tenant_a.pk, [row], returning="tenant_id")

    assert inserted == (personas.tenant_a.pk,)


@pytest.mark.django_db
def test_rows_update_refuses_another_tenants_row_and_writes_nothing(personas):
    with tenant_scope(personas.tenant_b):
        theirs = Customer.objects.create(external_id="escape-theirs", email="b@example.com")
    theirs.email = "changed@example.com"

    with pytest.raises(ValueError, match=f"every row must belong to tenant {personas.tenant_a.pk}"):
        db.rows_update(Customer, personas.tenant_a.pk, [theirs], ["email"])

    with tenant_scope(personas.tenant_b):
        assert Customer.objects.get(pk=theirs.pk).email == "b@example.com"


def test_every_write_of_the_raw_sql_layer_checks_its_rows_tenant_first():
    """Each public function of config/db/writes.py that runs a statement checks every row's
    tenant before it: a new write without the check fails here."""
    tree = ast.parse((ROOT / "config/db/writes.py").read_text())
    writes = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            first: dict[str, int] = {}  # the line each function is first called on
            for call in ast.walk(node):
                if isinstance(call, ast.Call):
                    name = ast.unparse(call.func)
                    first[name] = min(first.get(name, call.lineno), call.lineno)
            if "execute" in first:
                writes[node.name] = first.get("_check_tenant", 10**9) < first["execute"]
    assert writes == {"rows_insert": True, "row_insert": True, "rows_update": True}
    assert {"rows_insert", "row_insert", "rows_update"} <= set(db.__all__)


def test_a_table_without_a_tenant_is_refused():
    with pytest.raises(ValueError, match="Tenant has no tenant"):
        db.rows_insert(Tenant, 1, [Tenant(name="x", slug="x")])


# --- the scoped manager fails closed; leaving it needs a reason -----------------------------


@pytest.mark.django_db
def test_a_scoped_query_without_a_tenant_fails_closed(personas):
    from tenants.context import TenantNotSetError

    with no_tenant(), pytest.raises(TenantNotSetError):
        Customer.objects.count()
    with tenant_scope(personas.tenant_a):
        assert Customer.objects.count() == 0


@pytest.mark.parametrize("reason", ["", "   "])
def test_unscoped_without_a_reason_raises(reason):
    with pytest.raises(ValueError, match="needs a reason"):
        Customer.objects.unscoped(reason=reason)
    with pytest.raises(TypeError):
        Customer.objects.unscoped()  # type: ignore[call-arg]


# --- no way around the scope but `unscoped(reason=…)` --------------------------------------

# What the scan looks for: a manager that is not the scoped one, a raw query, raw SQL.
BYPASSES = {
    "_base_manager": "the model's plain manager",
    "base_manager": "the model's plain manager (through _meta)",
    "base_manager_name": "a plain base manager named on a model",
    "_plain": "the plain manager that scoped models used to carry",
    "raw": "Manager.raw / QuerySet.raw: SQL the scope never sees",
    "extra": "QuerySet.extra: SQL fragments the scope never sees",
    "RawSQL": "an SQL expression the scope never sees",
    "cursor": "a database cursor: raw SQL",
    "execute": "raw SQL (config.db.execute, a cursor's execute)",
}

# (file, name) → why it is allowed. Each must still occur (a stale entry fails too).
ALLOWED = {
    ("config/db/statements.py", "execute"):
        "the raw-SQL layer: every read and write takes the tenant as a required argument "
        "(tenant_id = %s, joined rows of the same tenant, every written row checked)",
    ("config/db/reads.py", "execute"): "the raw-SQL layer's reads: tenant_id = %s in each",
    ("config/db/writes.py", "execute"): "the raw-SQL layer's writes: every row's tenant checked",
    ("config/db/__init__.py", "execute"): "the raw-SQL layer's public surface",
    ("tenants/migration_ops.py", "cursor"):
        "a migration's schema change: reads the catalogue (pg_indexes), no tenant's rows",
    ("tenants/migration_ops.py", "execute"):
        "a migration's schema change: DROP / CREATE INDEX, no tenant's rows",
    ("analytics/rollups/maintain.py", "execute"):
        "the rollups' upkeep: every statement reads and writes with tenant_id = %(tenant)s "
        "(joined rows too), in the task's scope; an advisory lock on the tenant's id",
    ("analytics/cache.py", "execute"): "a Redis pipeline's execute (the kept figures): no SQL",
    ("analytics/figures.py", "execute"):
        "the Analytics page's one read of the rollups: every part filtered by "
        "tenant_id = %(tenant)s (the product titles and rule names joined on the same tenant)",
    ("analytics/rollups/reconcile.py", "execute"):
        "the rollups' reconciliation: the rollup table and the raw SELECT both filtered by "
        "tenant_id = %(tenant)s",
    ("config/health.py", "cursor"): "SELECT 1: the health check reads no table",
    ("config/health.py", "execute"): "SELECT 1: the health check reads no table",
    ("config/embedded.py", "execute"): "creates the embedded server's database, no table",
    ("messaging/dispatch.py", "cursor"):
        "queued → sending: WHERE tenant_id = %s AND id = %s (the task's tenant)",
    ("messaging/dispatch.py", "execute"):
        "SET LOCAL synchronous_commit; the sent rows' UPDATE joins on tenant_id (as rows_update)",
    ("messaging/journeys/relevance.py", "cursor"): "advisory locks on order ids: no table read",
    ("recommendations/attribution.py", "execute"):
        "one store's attribution reads: orders, lines and clicks each with tenant_id = %s, "
        "joined on the same tenant",
    ("recommendations/learning.py", "execute"):
        "one store's relearning in set-based SQL: every tenant table read has tenant_id = %s "
        "(joined rows too), rows are written with that tenant and deleted by it; the rest are "
        "temporary tables of the transaction, an advisory lock and ANALYZE",
    ("messaging/journeys/relevance.py", "execute"): "advisory locks on order ids: no table read",
    ("orders/search.py", "RawSQL"):
        "the console's name search without pg_trgm: doorstep_fold() LIKE as an expression of "
        "a scoped queryset (the scoped manager adds tenant_id = the scope's)",
    ("orders/search.py", "cursor"):
        "pg_proc (is the trigram search there), pg_trgm's threshold, and "
        "doorstep_customer_names(), which reads the session's tenant's customers only",
    ("orders/search.py", "execute"):
        "pg_proc (is the trigram search there), pg_trgm's threshold, and "
        "doorstep_customer_names(), which reads the session's tenant's customers only",
    ("tenants/inbound.py", "execute"):
        "the archive's purge and a refused body forgotten: tenant_id = %s in each; raw so "
        "that no ORM collector scans the events table for each row",
    ("tenants/rls.py", "cursor"): "row-level security's set-up after migrate: catalog, DDL",
    ("tenants/rls.py", "execute"):
        "row-level security: the session's role and settings, the catalog and DDL after "
        "migrate; no tenant's row",
    ("tenants/webhook_tenants.py", "execute"):
        "the webhook edge: finds the tenant by the URL's slug, and the credential of that "
        "tenant (c.tenant_id = t.id); no scope exists yet",
    ("tracking/public/selectors.py", "execute"):
        "the tracking page's edge: finds the shipment by its public token (a global unique, "
        "before any scope exists); every joined row and subquery has tenant_id = s.tenant_id",
    ("tracking/public/cache.py", "execute"):
        "the tracking page's cache: the public tokens of one tenant's shipments to forget "
        "(tenant_id = %s in the statement and its subquery)",
}

# Not application code: the benchmarks build and measure their own databases.
NOT_SCANNED = {".venv", "bench", "tests", "migrations", "node_modules", "var", "static"}


def _application_files() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.py")
                  if not NOT_SCANNED.intersection(path.relative_to(ROOT).parts[:-1])
                  and path.name != "conftest.py")


CALLED = {"raw", "extra", "cursor", "execute"}  # common words: only as a call `x.raw(…)`


def _names_used(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in CALLED:
            found.add(node.func.attr)
        elif isinstance(node, ast.Attribute) and node.attr in BYPASSES.keys() - CALLED:
            found.add(node.attr)
        elif isinstance(node, ast.Name) and node.id in BYPASSES.keys() - CALLED:
            found.add(node.id)
        elif isinstance(node, ast.alias) and node.name.rpartition(".")[2] in BYPASSES:
            found.add(node.name.rpartition(".")[2])
    return found


def bypasses_in(files: list[Path]) -> set[tuple[str, str]]:
    found = set()
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        for name in _names_used(ast.parse(path.read_text(), str(path))):
            found.add((relative, name))
    return found


def test_the_scan_sees_the_application():
    files = {path.relative_to(ROOT).as_posix() for path in _application_files()}
    assert {"config/db/statements.py", "tenants/scoping.py", "tracking/drain.py"} <= files
    assert not any("/tests/" in name or "/migrations/" in name for name in files)


def test_the_scan_finds_a_bypass(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("Order._base_manager.all()\nOrder.objects.raw('SELECT 1')\n")
    assert _names_used(ast.parse(sneaky.read_text())) == {"_base_manager", "raw"}


def test_nothing_leaves_the_scope_but_unscoped_with_a_reason():
    found = bypasses_in(_application_files())
    unreviewed = sorted(found - ALLOWED.keys())
    assert not unreviewed, (
        "leave the scope with `Model.objects.unscoped(reason=...)`, or read through config.db "
        f"with the tenant as an argument; if neither fits, add a reviewed reason: {unreviewed}")
    stale = sorted(ALLOWED.keys() - found)
    assert not stale, f"no longer used: drop from ALLOWED: {stale}"


# --- the scope is entered once, and a scoped manager is not filtered by tenant again --------

FILTERS = {"filter", "exclude", "get", "first", "count", "exists"}  # not get_or_create: it writes


def _chain(node: ast.expr) -> list[str]:
    """The names along `Model.objects.select_for_update().filter(…)`, innermost last."""
    names = []
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Call):
            node = node.func
            continue
        names.append(node.attr)
        node = node.value
    return names


def double_filters_in(tree: ast.AST) -> list[int]:
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in FILTERS
            and any(k.arg in ("tenant", "tenant_id") for k in node.keywords)
            and "objects" in (chain := _chain(node.func.value)) and "unscoped" not in chain]


def reentries_in(tree: ast.AST) -> list[int]:
    """A `tenant_task` that enters the scope (or reads the tenant) again: the decorator did."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(
                "tenant_task" in ast.unparse(d) for d in node.decorator_list):
            lines += [inner.lineno for inner in ast.walk(node) if isinstance(inner, ast.Call)
                      and ast.unparse(inner.func) in ("tenant_scope", "Tenant.objects.get")]
    return lines


def test_the_scans_find_a_second_filter_and_a_second_scope():
    tree = ast.parse("Order.objects.filter(tenant=tenant, pk=1)\n"
                     "Order.objects.unscoped(reason='x').filter(tenant=tenant)\n"
                     "@tenant_task(queue='x')\ndef t(tenant_id):\n"
                     "    with tenant_scope(Tenant.objects.get(pk=tenant_id)):\n        pass\n")
    assert double_filters_in(tree) == [1]
    assert sorted(reentries_in(tree)) == [5, 5]


def test_no_scoped_query_filters_by_tenant_twice_and_no_task_enters_the_scope_again():
    doubles, reentries = [], []
    for path in _application_files():
        tree = ast.parse(path.read_text(), str(path))
        name = path.relative_to(ROOT).as_posix()
        doubles += [f"{name}:{line}" for line in double_filters_in(tree)]
        reentries += [f"{name}:{line}" for line in reentries_in(tree)]
    assert not doubles, f"the scoped manager filters by the tenant already: {doubles}"
    assert not reentries, f"tenant_task runs the task in its tenant's scope: {reentries}"
