"""config.db.instances: model instances built from values_list rows, without Model.__init__,
that read, compare and save exactly like the ORM's own."""

from __future__ import annotations

import pytest

from config import db
from messaging.tests.factories import make_customer, make_order
from orders.models import Customer, Order
from tenants.context import tenant_scope

pytestmark = pytest.mark.django_db


def fields_of(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_rows_and_their_related_rows_equal_the_orms(personas):
    tenant = personas.tenant_a
    placed = [make_order(tenant, customer=make_customer(tenant, locale="de")) for _ in range(3)]
    with tenant_scope(tenant):
        queryset = Order.objects.filter(pk__in=[o.pk for o in placed]).order_by("pk")
        orm = list(queryset.select_related("customer"))
        built = db.instances(queryset, related=("customer",))

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
            (built,) = db.instances(Order.objects.filter(pk=order.pk), related=("customer",))
            assert built.customer is None


def test_a_built_instance_saves_like_any_other(personas):
    tenant = personas.tenant_a
    customer = make_customer(tenant)
    with tenant_scope(tenant):
        (built,) = db.instances(Customer.objects.filter(pk=customer.pk))
        built.first_name = "Robin"
        built.save(update_fields=["first_name"])
        assert Customer.objects.get(pk=customer.pk).first_name == "Robin"
        built.refresh_from_db()
        assert built.last_name == "Rivera"


def test_the_queryset_keeps_its_tenant_scope(personas):
    theirs = make_customer(personas.tenant_b)
    with tenant_scope(personas.tenant_a):
        assert db.instances(Customer.objects.filter(pk=theirs.pk)) == []


def test_a_model_with_init_receivers_takes_the_orms_path(personas):
    from django.db.models.signals import post_init

    tenant = personas.tenant_a
    order = make_order(tenant)
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Customer)
    try:
        with tenant_scope(tenant):
            (built,) = db.instances(Order.objects.filter(pk=order.pk), related=("customer",))
    finally:
        post_init.disconnect(receiver, sender=Customer)
    assert seen == [order.customer_id] and built.customer.pk == order.customer_id
