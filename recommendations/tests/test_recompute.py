"""Recomputing on demand (command, task) and what a recompute leaves behind."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders import services as orders_services
from recommendations import tasks
from recommendations.learning import settings_get
from recommendations.models import ProductAssociation, ProductPopularity
from tenants.context import tenant_scope

from .store import order, product


@pytest.fixture
def store(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [product("a", "A", "X"),
                                                     product("b", "B", "Y")])
        for n in range(3):
            order(tenant, f"#{n}", f"c-{n}", ["a", "b"], days_ago=10 + n)
        order(tenant, "#old", "c-9", ["a", "b"], days_ago=400)  # outside the window
    return tenant


@pytest.mark.django_db
def test_the_command_recomputes_a_store_and_says_what_it_learned(store):
    out = io.StringIO()
    call_command("recommendations_recompute", tenant="alpha", stdout=out)
    assert out.getvalue().startswith("alpha: 2 associations from 3 orders (6 lines)")
    with tenant_scope(store):
        assert ProductAssociation.objects.filter(kind="complement").count() == 2
        assert ProductPopularity.objects.count() == 2
        assert settings_get(store).computed_at is not None


@pytest.mark.django_db
def test_as_of_a_day_learns_only_from_the_orders_before_it(store):
    as_of = (timezone.now() - timedelta(days=10)).strftime("%Y-%m-%d")  # #1 and #2
    out = io.StringIO()
    call_command("recommendations_recompute", "--all", as_of=as_of, stdout=out)
    assert "alpha: 2 associations from 2 orders (4 lines)" in out.getvalue()


@pytest.mark.django_db
def test_the_task_recomputes_the_store_it_is_given(store, personas):
    assert tasks.associations_recompute(store.pk) == 2
    with tenant_scope(personas.tenant_b):
        assert not ProductAssociation.objects.exists()


@pytest.mark.django_db
def test_bad_arguments_are_refused_clearly(store):
    with pytest.raises(CommandError, match="No store"):
        call_command("recommendations_recompute", tenant="nobody")
    with pytest.raises(CommandError, match="not YYYY-MM-DD"):
        call_command("recommendations_recompute", tenant="alpha", as_of="yesterday")


@pytest.mark.django_db
def test_two_products_of_one_category_bought_together_by_one_shopper_are_a_substitute(personas):
    # bought together twice, but by one customer (or guests): no customer pair to score them
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        orders_services.product_upsert_many(tenant, [product("a", "A", "X"),
                                                     product("b", "B", "X")])
        order(tenant, "#1", "c-1", ["a", "b"])
        order(tenant, "#2", "c-1", ["a", "b"])
        order(tenant, "#3", None, ["a", "b"])
        from recommendations.learning import associations_recompute

        associations_recompute(tenant)
        assert set(ProductAssociation.objects.values_list("kind", "score")) == {
            ("substitute", 0.0)}
