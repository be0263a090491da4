"""PostgreSQL row-level security: the database itself refuses another tenant's rows.

The scoped managers (tenants/scoping.py) filter by the tenant in scope; this is the second
wall, for a query that forgets to (raw SQL, `unscoped(reason=…)`, a base manager):

    tenant_scope(t) / activate_tenant(t)        the context variable (tenants/context.py)
        │ the first statement on a connection after the scope changed (an execute wrapper)
        ▼
    SELECT set_config('app.tenant_id', '<t.pk>', false), set_config('app.cross_tenant', '', false)
        │
        ▼
    every tenant-owned table: POLICY tenant_isolation, for reads and writes alike
        tenant_id = app.tenant_id  OR  app.cross_tenant = 'on'

The application runs as DATABASE_APP_ROLE (SET ROLE once per connection): no superuser, no
BYPASSRLS, not the tables' owner, so the policy binds it. With no tenant in scope it sees no
tenant-owned row at all, unless the code says so by name: `cross_tenant(reason)` is the
separate path for the few places that must read across tenants (an API key, a public token
or a Host header naming the tenant; the Django admin; operator commands). Migrations and
flushes run as the owner (`owner_session`, tenants/management/commands/), and the migration
step (`rls_apply`, after every migrate) gives every TenantScopedModel table its policy, so a
new tenant-owned table cannot be forgotten (tests/tenancy/test_rls.py checks the database).

Cost: one round trip when the scope of a connection changes (a request's or task's first
statement), none otherwise. A rollback undoes a setting made in its transaction or savepoint:
such a setting is made again after them.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from psycopg import errors, pq, sql

from .context import get_current_tenant

# A table's only policy. Its name carries the condition's version: change the condition,
# change the name, and the next migrate replaces every table's policy.
POLICY = "tenant_isolation_1"
# The tenant in scope, or the named cross-tenant path; an unset setting (a fresh session) is
# NULL: no row. Each setting in a subquery is read once per statement, not once per row (a
# scan of 50,000 rows took 35 ms so, 56-78 ms with current_setting() per row, 25 without RLS).
CONDITION = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint) "
    "OR (SELECT current_setting('app.cross_tenant', true)) = 'on'"
)
_SYNC = "SELECT set_config('app.tenant_id', %s, false), set_config('app.cross_tenant', %s, false)"

# (reason, the tenant in scope when it was entered): the innermost of it and a tenant scope
# wins, so a tenant scope entered inside `cross_tenant` binds its block to that tenant.
_cross_tenant: ContextVar[tuple[str, object] | None] = ContextVar("cross_tenant", default=None)
_owner: ContextVar[bool] = ContextVar("owner_session", default=False)
# psycopg connection → ((tenant id, cross flag) last set on it, whether set inside a
# transaction, which a rollback undoes). A new connection has no entry: set on first use.
_sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextmanager
def cross_tenant(reason: str) -> Iterator[None]:
    """Let the block's statements see every tenant's rows (the policy's named path): for
    code that finds the tenant from what it was given (a key, a token, a host), the admin,
    and operator jobs. Greppable, with a reason, like `unscoped(reason=…)`. Entered inside a
    tenant scope it wins for its block; a tenant scope entered inside it wins for its own."""
    if not reason or not reason.strip():
        raise ValueError("cross_tenant() needs a reason a reviewer can read")
    token = _cross_tenant.set((reason, get_current_tenant()))
    try:
        yield
    finally:
        _cross_tenant.reset(token)


@contextmanager
def no_cross_tenant() -> Iterator[None]:
    """A block that does not inherit an enclosing `cross_tenant`: each request's edge (the
    middleware), which resolves its own tenant."""
    token = _cross_tenant.set(None)
    try:
        yield
    finally:
        _cross_tenant.reset(token)


def _wanted() -> tuple[str, str]:
    tenant = get_current_tenant()
    cross = _cross_tenant.get()
    if cross is not None and cross[1] is tenant:
        return "", "on"
    return ("" if tenant is None else str(tenant.pk)), ""


def _scope_sync(execute, sql_text, params, many, context):
    """Execute wrapper (outermost): bring the session's settings to the scope before the
    statement, when they differ from what was last set on this connection."""
    raw = context["connection"].connection
    wanted = _wanted()
    known = _sessions.get(raw)
    status = raw.info.transaction_status
    if known is not None and known[1] and status == pq.TransactionStatus.IDLE:
        # Made in a transaction that has ended since: a rollback may have undone it. (Not
        # confirmed with an on_commit callback: tests count the callbacks a block leaves.)
        known = None
    if (known is None or known[0] != wanted) and status != pq.TransactionStatus.INERROR:
        raw.execute(_SYNC, wanted)  # psycopg's own: not a statement of the caller's
        _sessions[raw] = (wanted, not raw.autocommit)
    try:
        return execute(sql_text, params, many, context)
    finally:
        if isinstance(sql_text, str) and sql_text.startswith("ROLLBACK TO SAVEPOINT") and raw in _sessions:
            del _sessions[raw]  # the savepoint may have undone the setting


def _role() -> str:
    return settings.DATABASE_APP_ROLE


def _connection_prepare(sender, connection, **kwargs) -> None:
    """connection_created: every statement goes through `_scope_sync`, as the app's role."""
    if connection.alias == NO_DB_ALIAS:
        return  # creating or dropping a database (the test run's): the server's own work
    if _scope_sync not in connection.execute_wrappers:
        # First: a wrapper entered with `connection.execute_wrapper()` is popped from the end.
        connection.execute_wrappers.insert(0, _scope_sync)
    role = _role()
    if not role or _owner.get():
        return
    try:
        connection.connection.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    except errors.InvalidParameterValue as exc:
        # Fail closed: never carry on as the connecting (owning) user.
        connection.connection.close()
        raise errors.InvalidParameterValue(
            f"the application's database role {role!r} does not exist: run `manage.py "
            "migrate` as the database owner (it creates it), or set DATABASE_APP_ROLE"
        ) from exc


@contextmanager
def owner_session(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run a block as the connecting user (the tables' owner): migrations and flushes, which
    change tables the app's role may only read and write. Named, and only in operator
    commands (tenants/management/commands/)."""
    connection = connections[using]
    token = _owner.set(True)
    try:
        if connection.connection is not None and _role():
            connection.connection.execute("RESET ROLE")
        yield
    finally:
        _owner.reset(token)
        raw = connection.connection
        if raw is not None and not raw.closed and _role():
            try:
                raw.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(_role())))
            except errors.Error:
                raw.close()  # fail closed: never go on as the owner
                raise


def tenant_tables() -> list[str]:
    from django.apps import apps

    from .scoping import TenantScopedModel

    return sorted(
        {
            m._meta.db_table
            for m in apps.get_models()
            if issubclass(m, TenantScopedModel) and not m._meta.proxy
        }
    )


def rls_apply(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate (once, for the tenants app: every table exists by then), idempotent:
    the app's role exists and may use every table, and every tenant-owned table has row-level
    security with the policy. One query when nothing is missing (after a test's flush too)."""
    connection = connections[using]
    role = _role()
    tables = tenant_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = %s), "
            "  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
            "  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "   WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S') AND %s <> '' "
            "   AND EXISTS (SELECT FROM pg_roles WHERE rolname = %s) AND NOT has_table_privilege("
            "     %s, c.oid, CASE c.relkind WHEN 'S' THEN 'SELECT' "
            "                  ELSE 'SELECT,INSERT,UPDATE,DELETE' END)), "
            "  ARRAY(SELECT t FROM unnest(%s::text[]) t WHERE NOT EXISTS ("
            "     SELECT FROM pg_class c WHERE c.oid = to_regclass(quote_ident(t)) "
            "     AND c.relrowsecurity AND ARRAY(SELECT p.polname::text FROM pg_policy p "
            "                                    WHERE p.polrelid = c.oid) = ARRAY[%s]))",
            [role, role, role, role, tables, POLICY],
        )
        role_exists, superuser, ungranted, unprotected = cursor.fetchone()
        if role and not role_exists:
            # A plain role: no login, no superuser, no BYPASSRLS. Another database of the
            # same server may create it at the same moment (roles are per server).
            cursor.execute(
                sql.SQL(
                    "DO $$ BEGIN CREATE ROLE {} NOLOGIN NOSUPERUSER NOBYPASSRLS; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                )
                .format(sql.Identifier(role))
                .as_string(connection.connection)
            )
            ungranted = 1
        if role and not superuser:
            cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", [role])
            if not cursor.fetchone()[0]:
                cursor.execute(
                    sql.SQL("GRANT {} TO CURRENT_USER")
                    .format(sql.Identifier(role))
                    .as_string(connection.connection)
                )
        if role and ungranted:
            ident = sql.Identifier(role).as_string(connection.connection)
            cursor.execute(f"GRANT USAGE ON SCHEMA {connection.ops.quote_name('public')} TO {ident}")
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ident}")
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ident}")
        for table in unprotected:
            name = connection.ops.quote_name(table)
            cursor.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
            # Any other policy would widen it (permissive policies add up): only this one.
            cursor.execute("SELECT polname FROM pg_policy WHERE polrelid = %s::regclass", [name])
            for (old,) in cursor.fetchall():
                cursor.execute(f"DROP POLICY {connection.ops.quote_name(old)} ON {name}")
            cursor.execute(f"CREATE POLICY {POLICY} ON {name} USING ({CONDITION})")


def rls_connect(app_config) -> None:
    """From TenantsConfig.ready()."""
    connection_created.connect(_connection_prepare, dispatch_uid="tenants.rls.connection")
    post_migrate.connect(rls_apply, sender=app_config, dispatch_uid="tenants.rls.apply")
