"""The database's own wall between tenants (tenants/rls.py): PostgreSQL row-level security.

Every test here leaves the suite's cross-tenant path for the test's own code (conftest.py)
once its rows exist, and then forgets the tenant filter on purpose: raw SQL, Django's base
manager, `unscoped(reason=…)`. What the database gives back is all the proof there is.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from orders.models import Customer
from tenants.context import tenant_scope
from tenants.rls import POLICY, cross_tenant, no_cross_tenant, owner_session, rls_apply, tenant_tables

pytestmark = pytest.mark.django_db

TABLE = Customer._meta.db_table


def _raw_ids(sql: str = f"SELECT id FROM {TABLE}", params=()) -> set[int]:  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def shoppers(personas):
    """One shopper in each of tenant A (Alice's) and tenant B (Carol's): (a's id, b's id)."""
    ids = []
    for tenant in (personas.tenant_a, personas.tenant_b):
        with tenant_scope(tenant):
            ids.append(Customer.objects.create(external_id="same", email="s@x.test").pk)
    return tuple(ids)


def test_the_application_runs_as_a_role_that_row_level_security_binds():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, superuser, bypass = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        owned = cursor.fetchone()[0]
    assert (user, superuser, bypass, owned) == (settings.DATABASE_APP_ROLE, False, False, 0)


def test_every_tenant_table_has_row_level_security_and_the_policy():
    tables = tenant_tables()
    assert TABLE in tables and "tenants_inboundwebhook" in tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE c.relrowsecurity AND p.polname = %s AND c.relname = ANY(%s)",
            [POLICY, tables],
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert sorted(set(tables) - protected) == []


def test_raw_sql_without_the_tenant_filter_sees_only_the_tenant_in_scope(personas, shoppers):
    a, b = shoppers
    with no_cross_tenant(), tenant_scope(personas.tenant_b):
        assert _raw_ids() == {b}
        assert _raw_ids(f"SELECT id FROM {TABLE} WHERE id = %s", [a]) == set()  # noqa: S608
    with no_cross_tenant(), tenant_scope(personas.tenant_a):
        assert _raw_ids() == {a}


def test_orm_reads_that_bypass_the_guard_see_only_the_tenant_in_scope(personas, shoppers):
    a, b = shoppers
    with no_cross_tenant(), tenant_scope(personas.tenant_b):
        assert {c.pk for c in Customer._base_manager.all()} == {b}
        assert list(
            Customer.objects.unscoped(reason="a test forgets the filter").values_list("pk", flat=True)
        ) == [b]
        assert not Customer._base_manager.filter(pk=a).exists()


def test_no_scope_and_no_cross_tenant_path_sees_nothing(shoppers):
    with no_cross_tenant():
        assert _raw_ids() == set()
        assert Customer._base_manager.count() == 0


def test_another_tenants_rows_cannot_be_changed_deleted_or_written(personas, shoppers):
    a, _ = shoppers
    with no_cross_tenant(), tenant_scope(personas.tenant_b), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET email = 'owned@evil.test' WHERE id = %s", [a])  # noqa: S608
        assert cursor.rowcount == 0
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [a])  # noqa: S608
        assert cursor.rowcount == 0
        assert Customer._base_manager.filter(pk=a).update(email="owned@evil.test") == 0
        # A row written for tenant A from tenant B's scope is refused outright.
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                f"INSERT INTO {TABLE} (tenant_id, external_id, email, phone, first_name, "  # noqa: S608
                "last_name, locale, timezone, transactional_email_consent, "
                "transactional_email_consent_source, transactional_sms_consent, "
                "transactional_sms_consent_source, marketing_email_consent, "
                "marketing_email_consent_source, marketing_sms_consent, "
                "marketing_sms_consent_source, created_at, updated_at) VALUES (%s, 'x', '', '', "
                "'', '', '', '', true, '', false, '', false, '', false, '', now(), now())",
                [personas.tenant_a.pk],
            )
    with tenant_scope(personas.tenant_a):
        assert Customer.objects.get(pk=a).email == "s@x.test"


def test_the_named_cross_tenant_path_sees_every_tenant_and_a_scope_inside_it_binds(personas, shoppers):
    with no_cross_tenant():
        with cross_tenant("a sweep across tenants"):
            assert _raw_ids() == set(shoppers)
            with tenant_scope(personas.tenant_a):
                assert _raw_ids() == {shoppers[0]}
            assert _raw_ids() == set(shoppers)
        with tenant_scope(personas.tenant_b), cross_tenant("a uniqueness check across stores"):
            assert _raw_ids() == set(shoppers)


def test_the_scope_of_one_request_never_reaches_the_next_statement(client, personas, shoppers):
    """The connection outlives the request (CONN_MAX_AGE): its setting must not."""
    client.force_login(personas.alice)
    assert client.get("/").status_code == 200  # ran as tenant A on this same connection
    with no_cross_tenant():
        assert _raw_ids() == set()


def test_a_rolled_back_savepoint_does_not_leave_a_stale_scope(personas, shoppers):
    _, b = shoppers
    with no_cross_tenant(), tenant_scope(personas.tenant_b):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            assert _raw_ids() == {b}  # the scope is set inside the savepoint…
            1 / 0  # noqa: B018
        assert _raw_ids() == {b}  # …which undid it: set again, not read as nothing


def test_the_migration_step_protects_a_table_left_without_it():
    """Tables added later get the policy from the step after every migrate (idempotent)."""
    with owner_session(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE ROW LEVEL SECURITY")
        cursor.execute(f"DROP POLICY {POLICY} ON {TABLE}")
        # A stray permissive policy would widen the table's (policies add up): it goes.
        cursor.execute(f"CREATE POLICY tenant_isolation_0 ON {TABLE} USING (true)")
        rls_apply(sender=None)
        rls_apply(sender=None)  # nothing left to do
        cursor.execute("SELECT relrowsecurity FROM pg_class WHERE relname = %s", [TABLE])
        assert cursor.fetchone()[0] is True
        cursor.execute("SELECT count(*) FROM pg_policy WHERE polrelid = %s::regclass", [TABLE])
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_does_not_leave_a_stale_scope(personas, shoppers):
    """Outside the test's own transaction: a setting made in a transaction that rolled back
    is gone from the session, and made again (and the flush after this test runs as the
    owner: TRUNCATE is never the application's)."""
    _, b = shoppers
    with no_cross_tenant(), tenant_scope(personas.tenant_b):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            assert _raw_ids() == {b}
            1 / 0  # noqa: B018
        assert _raw_ids() == {b}
        with transaction.atomic():
            assert _raw_ids() == {b}
        assert _raw_ids() == {b}
    with no_cross_tenant():
        assert _raw_ids() == set()
