"""The orders tables follow the tenancy rules: scoped, and keyed by tenant first."""

from __future__ import annotations

import pytest
from django.apps import apps

from tenants.scoping import TenantScopedModel

ORDERS_MODELS = list(apps.get_app_config("orders").get_models())


@pytest.mark.parametrize("model", ORDERS_MODELS, ids=lambda m: m.__name__)
def test_every_orders_model_is_tenant_scoped(model):
    assert issubclass(model, TenantScopedModel)
    assert model._meta.base_manager.name == "_base_manager"  # Django's plain one, for cascades


@pytest.mark.parametrize("model", ORDERS_MODELS, ids=lambda m: m.__name__)
def test_every_unique_constraint_and_index_starts_with_the_tenant(model):
    for item in [*model._meta.constraints, *model._meta.indexes]:
        assert item.fields[0] == "tenant", f"{model.__name__}.{item.name}"
    for field in model._meta.fields:
        if field.unique and not field.primary_key:
            pytest.fail(f"{model.__name__}.{field.name} is unique across tenants")
        if field.is_relation and field.name != "tenant":
            assert not field.db_index, f"{model.__name__}.{field.name} has an index of its own"
