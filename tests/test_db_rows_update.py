"""config.db.rows_update: many rows' fields written in one statement, one tenant's rows only,
each found by its primary key whatever the table's statistics say."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.db.models import CharField

from config import db
from config.db.writes import AS_IS
from messaging.tests.factories import make_customer
from orders.models import Customer
from tenants.context import tenant_scope
from tenants.tests.factories import in_scope

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values(personas):
    tenant = personas.tenant_a
    customers = [make_customer(tenant) for _ in range(3)]
    for number, customer in enumerate(customers):
        customer.first_name, customer.locale = f"Name {number}", ["de", "fr", "es"][number]

    with in_scope(tenant):
        db.rows_update(Customer, tenant.pk, customers, ["first_name", "locale"])

    with tenant_scope(tenant):
        stored = list(Customer.objects.filter(pk__in=[c.pk for c in customers])
                      .order_by("pk").values_list("first_name", "locale"))
    assert stored == [("Name 0", "de"), ("Name 1", "fr"), ("Name 2", "es")]


def test_another_tenants_row_is_refused_and_never_written(personas):
    mine, theirs = make_customer(personas.tenant_a), make_customer(personas.tenant_b)
    theirs.first_name = "Changed"
    with pytest.raises(ValueError, match="every row must belong to tenant"), in_scope(personas.tenant_a):
        db.rows_update(Customer, personas.tenant_a.pk, [mine, theirs], ["first_name"])

    # An instance that claims the tenant (a forged or stale tenant_id): the statement itself
    # checks each row's tenant, so the other tenant's row is left as it was.
    theirs.tenant_id = personas.tenant_a.pk
    with in_scope(personas.tenant_a):
        db.rows_update(Customer, personas.tenant_a.pk, [theirs], ["first_name"])
    with tenant_scope(personas.tenant_b):
        assert Customer.objects.get(pk=theirs.pk).first_name == "Sam"


def test_rows_are_found_by_primary_key_even_on_statistics_from_before_a_burst(personas):
    tenant = personas.tenant_a
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_customer")  # the tenant has no shoppers yet
    with tenant_scope(tenant):
        Customer.objects.bulk_create([
            Customer(tenant=tenant, external_id=f"burst-{n}", email=f"b{n}@example.com",
                     first_name="Sam") for n in range(600)])
        some = list(Customer.objects.order_by("pk")[:5])
    for customer in some:
        customer.first_name = "Updated"

    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture), in_scope(tenant):
        db.rows_update(Customer, tenant.pk, some, ["first_name"])
    (sql, params), = statements
    plan = _explained(sql, params)

    read = sum(node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
               for node in _nodes(plan) if node.get("Relation Name") == "orders_customer"
               and node["Node Type"] != "ModifyTable")
    assert read <= 2 * len(some), f"read {read} rows to update {len(some)}"


def _explained(sql: str, params) -> dict:
    """The plan of the statement run once more under EXPLAIN ANALYZE, in a savepoint that is
    rolled back."""
    with transaction.atomic():
        (document,), = db.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        transaction.set_rollback(True)
    return (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


SAMPLES = {str: ["", "Sam", "Ünïcode ✓"], bool: [True, False]}


@pytest.mark.parametrize("field_class", list(AS_IS), ids=lambda cls: cls.__name__)
def test_values_passed_as_they_are_equal_djangos_own_preparation(field_class):
    """rows_update skips get_db_prep_save for these field classes and value types: what
    Django would have sent is the very value (a Django upgrade that changes it fails here)."""
    field = field_class(max_length=50) if issubclass(field_class, CharField) else field_class()
    field.set_attributes_from_name("sample")
    for value in SAMPLES[AS_IS[field_class]]:
        prepared = field.get_db_prep_save(value, connection)
        assert prepared == value and type(prepared) is type(value)
