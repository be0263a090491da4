"""Every installed model is tenant-scoped, or on a short reviewed list saying why not."""

import pytest
from django.apps import apps
from django.db import connection

from tenants.scoping import TenantScopedManager, TenantScopedModel

# model label → why it is not scoped by tenant. Reviewed: adding to this list needs a reason.
NOT_TENANT_OWNED = {
    "tenants.Tenant": "the tenant itself",
    "auth.User": "a person can belong to several tenants (Membership links them)",
    "auth.Group": "Django's, unused",
    "auth.Permission": "Django's, unused: roles live in tenants.permissions",
    "contenttypes.ContentType": "framework metadata",
    "sessions.Session": "a browser session, before and across tenants",
    "admin.LogEntry": "operator (staff) actions in the Django admin",
    "account.EmailAddress": "belongs to a user, not a tenant",
    "account.EmailConfirmation": "belongs to a user, not a tenant",
    "mfa.Authenticator": "a user's second factor, used for every tenant they belong to",
}

# (model label, field) → why this unique index may not start with `tenant`: these values are
# how the tenant is found in the first place, so they are looked up before it is known.
GLOBAL_UNIQUES = {
    ("tenants.Invitation", "token_hash"): "the invitation link names the tenant",
    ("tenants.ApiKey", "key_hash"): "the API key names the tenant",
    ("tenants.Brand", "custom_tracking_domain"): "the Host header names the tenant",
    ("tracking.Shipment", "public_token"): "the shopper's tracking link names the tenant",
    ("returns.ReturnRequest", "public_token"): "the shopper's return status link names the tenant",
}


def test_every_model_is_scoped_or_reviewed():
    unreviewed = []
    for model in apps.get_models():
        label = model._meta.label
        if label in NOT_TENANT_OWNED:
            assert not issubclass(model, TenantScopedModel), f"{label} is scoped: drop it from the list"
            continue
        if not issubclass(model, TenantScopedModel):
            unreviewed.append(label)
    assert not unreviewed, f"subclass TenantScopedModel or review these: {unreviewed}"


def test_scoped_models_fail_closed_and_cascade_plainly():
    for model in apps.get_models():
        if not issubclass(model, TenantScopedModel):
            continue
        label = model._meta.label
        assert isinstance(model._default_manager, TenantScopedManager), label
        # Cascades and relations use Django's own plain base manager; no second manager of the
        # model's leaves the scope without `unscoped(reason=…)`.
        assert model._meta.base_manager.name == "_base_manager", label
        assert [m.name for m in model._meta.managers] == ["objects"], label
        assert model._meta.get_field("tenant").null is False, label


# (model label, field) → why this foreign key may keep an index of its own (not tenant-first).
OWN_FK_INDEXES = {
    ("tenants.Membership", "user"): "a user's stores are listed across tenants at log-in",
    ("tenants.Invitation", "invited_by"): "small table; user deletion cascades",
    ("tenants.Invitation", "accepted_by"): "small table; user deletion cascades",
    ("tenants.ApiKey", "created_by"): "small table; user deletion cascades",
    ("tenants.Credential", "updated_by"): "small table; user deletion cascades",
}


def test_unique_constraints_and_indexes_start_with_tenant():
    offenders = []
    for model in apps.get_models():
        if not issubclass(model, TenantScopedModel):
            continue
        label = model._meta.label
        for constraint in model._meta.constraints:
            fields = list(getattr(constraint, "fields", ()) or ())
            if fields and fields[0] != "tenant":
                offenders.append(f"{label} constraint {constraint.name}")
        for index in model._meta.indexes:
            if index.fields and index.fields[0].lstrip("-") != "tenant":
                offenders.append(f"{label} index {index.name}")
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key and (label, field.name) not in GLOBAL_UNIQUES:
                offenders.append(f"{label}.{field.name} is unique=True across tenants")
        for field in model._meta.local_fields:
            if (field.is_relation and field.name != "tenant" and field.db_index
                    and (label, field.name) not in OWN_FK_INDEXES):
                offenders.append(f"{label}.{field.name} has an index not starting with tenant")
        for fields in model._meta.unique_together:
            if fields[0] != "tenant":
                offenders.append(f"{label} unique_together {fields}")
    assert not offenders, offenders


def test_every_scoped_model_has_one_index_that_starts_with_tenant_and_no_plain_one():
    """The index that serves a store's lookups, its row-level security filter and its cascade
    is one that starts with `tenant` (a whole one: a partial index serves none of these); the
    foreign key has no index of its own beside it, which would only cost writes."""
    missing, plain = [], []
    for model in apps.get_models():
        if not issubclass(model, TenantScopedModel):
            continue
        label = model._meta.label
        if model._meta.get_field("tenant").db_index:
            plain.append(label)
        leads = [list(index.fields) for index in model._meta.indexes if index.condition is None]
        leads += [list(c.fields) for c in model._meta.constraints
                  if getattr(c, "fields", None) and getattr(c, "condition", None) is None]
        leads += [list(fields) for fields in model._meta.unique_together]
        if not any(fields and fields[0].lstrip("-") == "tenant" for fields in leads):
            missing.append(label)
    assert not missing, f"no whole index starting with tenant: {missing}"
    assert not plain, f"a tenant foreign key with an index of its own: {plain}"


@pytest.mark.django_db
def test_the_database_has_no_plain_tenant_index_left():
    """What the migrations did (tenants/migration_ops.py): the (tenant_id) indexes are gone,
    the foreign key constraints stay."""
    plain, unchecked = [], []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not issubclass(model, TenantScopedModel):
                continue
            table = model._meta.db_table
            found = connection.introspection.get_constraints(cursor, table)
            if any(c["index"] and c["columns"] == ["tenant_id"] and not c["unique"]
                   for c in found.values()):
                plain.append(table)
            if not any(c["foreign_key"] and c["columns"] == ["tenant_id"] for c in found.values()):
                unchecked.append(table)
    assert not plain, plain
    assert not unchecked, f"no foreign key constraint on tenant_id: {unchecked}"
