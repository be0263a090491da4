"""config.db.instances_where / values_where (a tenant's rows by value, one statement per shape
whatever the list's length): model instances that read, compare and save exactly like the
ORM's own."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import db
from messaging.tests.factories import PLACED_AT, make_customer, make_order, make_product
from orders.models import Customer, LineItem, Order, Product
from tenants.context import tenant_scope
from tenants.models import Tenant
from tenants.rls import cross_tenant
from tenants.tests.factories import in_scope

pytestmark = pytest.mark.django_db


def fields_of(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def by_value(tenant, ids):
    with in_scope(tenant):
        return db.instances_where(Order, tenant.pk, {"id__in": ids}, related=("customer",),
                                  order_by=("pk",))


def test_rows_and_their_related_rows_equal_the_orms(personas):
    tenant = personas.tenant_a
    placed = [make_order(tenant, customer=make_customer(tenant, locale="de")) for _ in range(3)]
    with tenant_scope(tenant):
        orm = list(Order.objects.filter(pk__in=[o.pk for o in placed])
                   .select_related("customer").order_by("pk"))
    built = by_value(tenant, [o.pk for o in placed])

    assert [fields_of(o) for o in built] == [fields_of(o) for o in orm]
    assert [fields_of(o.customer) for o in built] == [fields_of(o.customer) for o in orm]
    assert built == orm  # same model, same pk
    order = built[0]
    assert order.shipping_address == {"name": "Sam Rivera", "city": "Berlin", "country_code": "DE"}
    assert order.customer.locale == "de" and order.customer.full_name == "Sam Rivera"
    assert not order._state.adding and order._state.db == "default"


def test_a_missing_related_row_is_none_and_reads_no_further(personas, django_assert_num_queries):
    tenant = personas.tenant_a
    order = make_order(tenant)
    with tenant_scope(tenant):
        Order.objects.filter(pk=order.pk).update(customer=None)
    with django_assert_num_queries(1):
        (built,) = by_value(tenant, [order.pk])
        assert built.customer is None


def test_a_built_instance_saves_like_any_other(personas):
    tenant = personas.tenant_a
    customer = make_customer(tenant)
    with in_scope(tenant):
        (built,) = db.instances_where(Customer, tenant.pk, {"id": customer.pk})
    with tenant_scope(tenant):
        built.first_name = "Robin"
        built.save(update_fields=["first_name"])
        assert Customer.objects.get(pk=customer.pk).first_name == "Robin"
        built.refresh_from_db()
        assert built.last_name == "Rivera"


def test_a_model_with_init_receivers_takes_the_orms_path(personas):
    from django.db.models.signals import post_init

    tenant = personas.tenant_a
    order = make_order(tenant)
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Customer)
    try:
        (built,) = by_value(tenant, [order.pk])
    finally:
        post_init.disconnect(receiver, sender=Customer)
    assert seen == [order.customer_id] and built.customer.pk == order.customer_id


def test_another_tenants_rows_are_never_read(personas):
    ours, theirs = make_order(personas.tenant_a), make_order(personas.tenant_b)
    both = [ours.pk, theirs.pk]
    with cross_tenant("a test: the raw-SQL layer's own tenant filter, RLS aside"):
        assert [o.pk for o in db.instances_where(Order, personas.tenant_a.pk, {"id__in": both})] == [
            ours.pk]
        assert db.values_where(Customer, personas.tenant_a.pk, ("id",),
                               {"id": theirs.customer_id}) == []
    # A foreign key pointing at another tenant's row (never written by our code) reads as None.
    with cross_tenant("a test forges a stray foreign key"):
        Order.objects.unscoped(reason="test: forge a stray foreign key").filter(pk=ours.pk).update(
            customer_id=theirs.customer_id)
    with cross_tenant("a test: the raw-SQL layer's own tenant filter, RLS aside"):
        (read,) = db.instances_where(Order, personas.tenant_a.pk, {"id": ours.pk},
                                     related=("customer",))
    assert read.customer_id == theirs.customer_id and read.customer is None


def test_a_model_without_a_tenant_is_refused():
    with pytest.raises(ValueError, match="no tenant"):
        db.instances_where(Tenant, 1, {"id__in": [1]})


def test_one_statement_whatever_the_lists_length_and_none_for_an_empty_list(personas):
    tenant = personas.tenant_a
    orders = [make_order(tenant) for _ in range(5)]
    with CaptureQueriesContext(connection) as queries, in_scope(tenant):
        two = db.instances_where(Order, tenant.pk, {"id__in": [o.pk for o in orders[:2]]})
        five = db.instances_where(Order, tenant.pk, {"id__in": [o.pk for o in orders]})
        none = db.instances_where(Order, tenant.pk, {"id__in": []})
    assert (len(two), len(five), none) == (2, 5, [])
    # The SQL as logged, with the one list parameter (however the backend shows it) left out.
    shapes = [re.sub(r"ARRAY\[[^\]]*\]|'\[[^\]]*\]'|'\{[^}]*\}'", "?", q["sql"])
              for q in queries]
    assert len(shapes) == 2 and shapes[0] == shapes[1]


def test_lookups_order_and_limit(personas):
    tenant = personas.tenant_a
    customer = make_customer(tenant)
    early, middle, late = (make_order(tenant, customer=customer,
                                      placed_at=PLACED_AT + timedelta(days=d)) for d in (0, 1, 2))
    with in_scope(tenant):
        found = db.instances_where(Order, tenant.pk, {"customer_id": customer.pk,
                                                      "placed_at__lte": middle.placed_at},
                                   order_by=("-placed_at",))
    assert [o.pk for o in found] == [middle.pk, early.pk]
    with in_scope(tenant):
        newest = db.instances_where(Order, tenant.pk, {"customer": customer.pk},
                                    order_by=("-placed_at",), limit=1)
    assert [o.pk for o in newest] == [late.pk]
    with in_scope(tenant):
        later = db.values_where(Order, tenant.pk, ("number",), {"customer_id": customer.pk,
                                                                "placed_at__gt": early.placed_at},
                                order_by=("placed_at",))
    assert later == [(middle.number,), (late.number,)]


def test_values_come_converted_like_values_lists(personas):
    tenant = personas.tenant_a
    product = make_product(tenant, tags=["tent", "2-person"],
                           content_links=[{"kind": "video", "url": "https://v.example.com/1"}])
    order = make_order(tenant)
    with tenant_scope(tenant):
        orm = list(LineItem.objects.filter(order=order).values_list("id", "unit_price", "title"))
        orm_product = Product.objects.values_list("tags", "content_links", "price").get(
            pk=product.pk)
    with in_scope(tenant):
        assert db.values_where(LineItem, tenant.pk, ("id", "unit_price", "title"),
                               {"order_id__in": [order.pk]}, order_by=("position",)) == orm
        assert db.values_where(Product, tenant.pk, ("tags", "content_links", "price"),
                               {"id": product.pk}) == [orm_product]


def test_a_value_listed_twice_reads_its_rows_once(personas):
    tenant = personas.tenant_a
    first, second = make_order(tenant, lines=2), make_order(tenant, lines=1)
    with in_scope(tenant):
        by_order = db.values_where(LineItem, tenant.pk, ("order_id", "position"),
                                   {"order_id__in": [first.pk, second.pk, first.pk]},
                                   order_by=("order_id", "position"))
    assert by_order == [(first.pk, 1), (first.pk, 2), (second.pk, 1)]
    with in_scope(tenant):
        by_id = db.instances_where(Order, tenant.pk, {"id__in": [first.pk, first.pk]})
    assert [o.pk for o in by_id] == [first.pk]


def _prepared_statements(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                       [f'%"{table}"%'])
        return [row[0] for row in cursor.fetchall()]


def test_reads_are_prepared_once_per_connection(personas, settings):
    tenant = personas.tenant_a
    orders = [make_order(tenant) for _ in range(3)]
    for count in (1, 2, 3):
        with in_scope(tenant):
            assert len(db.instances_where(Order, tenant.pk,
                                          {"id__in": [o.pk for o in orders[:count]]})) == count

    this_shape = [s for s in _prepared_statements("orders_order")
                  if '"id" = ANY' in s and "orders_customer" not in s and "ORDER BY" not in s]
    assert len(this_shape) == 1  # one statement, prepared on first use and reused

    # Turned off (a transaction-pooling PgBouncer): a shape read only here is never prepared.
    settings.DATABASE_PREPARED_READS = False
    for _ in range(3):
        with in_scope(tenant):
            db.instances_where(Order, tenant.pk, {"external_id__in": [orders[0].external_id]},
                               order_by=("-number",))
    assert not [s for s in _prepared_statements("orders_order") if "external_id" in s
                and "DESC" in s]


def test_while_django_logs_queries_reads_are_logged_with_their_sql_and_not_prepared(personas):
    tenant = personas.tenant_a
    order = make_order(tenant)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(2):
            with in_scope(tenant):
                db.instances_where(Order, tenant.pk, {"number__in": [order.number]},
                                   order_by=("-placed_at",))
    assert len(queries) == 2 and all('"orders_order"' in q["sql"] for q in queries)
    assert not [s for s in _prepared_statements("orders_order") if '"number" = ANY' in s]


def test_a_locking_read_is_never_prepared(personas):
    tenant = personas.tenant_a
    order = make_order(tenant)
    for _ in range(3):
        with in_scope(tenant):
            db.instances_where(Order, tenant.pk, {"id__in": [order.pk]}, lock="FOR UPDATE")
    assert not [s for s in _prepared_statements("orders_order") if "FOR UPDATE" in s]
