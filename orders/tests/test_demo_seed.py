"""The demo seed: a realistic tenant, the same every time, and safe to run again."""

from __future__ import annotations

import itertools
import re
import time
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from orders import demo
from orders.models import Customer, LineItem, Order, Product
from tenants.context import tenant_scope
from tenants.models import Brand, Membership, Tenant
from tenants.permissions import Role

pytestmark = pytest.mark.django_db

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@pytest.fixture
def seeded():
    tenant, result = demo.seed_demo()
    return tenant, result


def _counts(tenant: Tenant) -> dict[str, int]:
    with tenant_scope(tenant):
        return {model.__name__: model.objects.count()
                for model in (Customer, Product, Order, LineItem)}


def test_it_creates_the_acme_tenant_with_its_catalog_customers_and_orders(seeded):
    tenant, result = seeded
    assert (tenant.slug, tenant.name) == ("acme", "Acme Outdoor")
    counts = _counts(tenant)
    assert 45 <= counts["Product"] <= 60
    assert counts["Customer"] == 200
    assert counts["Order"] == 300
    assert counts["LineItem"] >= counts["Order"]
    assert result.changed
    assert result.created["orders"] == 300


def test_the_demo_user_is_a_verified_owner_who_can_log_in(seeded, client):
    tenant, _ = seeded
    user = get_user_model().objects.get(email=demo.DEMO_EMAIL)
    assert EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()
    with tenant_scope(tenant):
        assert Membership.objects.get(user=user).role == Role.OWNER
    assert client.login(username=user.username, password=demo.DEMO_PASSWORD)


def test_the_brand_has_the_demo_colours(seeded):
    tenant, _ = seeded
    with tenant_scope(tenant):
        brand = Brand.objects.unscoped(reason="test").get(tenant=tenant)
    assert (brand.primary_color, brand.accent_color) == ("#2F5D50", "#E07A2F")
    assert brand.sender_name == "Acme Outdoor"


def test_a_second_run_changes_nothing(seeded):
    tenant, _ = seeded
    before = _counts(tenant)
    again_tenant, again = demo.seed_demo(now=timezone.now() + timedelta(days=3))
    assert again_tenant.pk == tenant.pk
    assert not again.changed, again.created
    assert _counts(tenant) == before
    assert Tenant.objects.filter(slug="acme").count() == 1


def test_the_command_says_when_there_is_nothing_to_do(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert "created" in first and "300 orders" in first
    assert "nothing to change" in second
    assert "demo@acme.test" in second and "doorstep-demo" in second


def test_it_is_deterministic():
    now = timezone.now()
    first = [(c.external_id, c.email, c.phone) for c in demo.build_customers(now)]
    again = [(c.external_id, c.email, c.phone) for c in demo.build_customers(now)]
    assert first == again
    products = demo.build_products()
    assert [p.sku for p in products] == [p.sku for p in demo.build_products()]


def test_orders_cover_every_financial_and_fulfillment_status_pair(seeded):
    tenant, _ = seeded
    with tenant_scope(tenant):
        pairs = set(Order.objects.values_list("financial_status", "fulfillment_status"))
    expected = set(itertools.product(Order.FinancialStatus.values,
                                     Order.FulfillmentStatus.values))
    assert pairs == expected


def test_orders_are_spread_over_the_last_90_days_with_consistent_totals(seeded):
    tenant, _ = seeded
    now = timezone.now()
    with tenant_scope(tenant):
        orders = list(Order.objects.prefetch_related("lines"))
    placed = [o.placed_at for o in orders]
    assert min(placed) >= now - timedelta(days=91)
    assert max(placed) - min(placed) > timedelta(days=60)
    for order in orders:
        assert order.subtotal == sum(line.line_total for line in order.lines.all())
        assert order.total == order.subtotal + order.shipping
        assert order.number.startswith("#")
        assert order.shipping_address["country_code"]
    assert {o.customer_id for o in orders} - {None}


def test_customers_have_valid_phones_and_a_mix_of_consents(seeded):
    tenant, _ = seeded
    with tenant_scope(tenant):
        customers = list(Customer.objects.all())
    phones = [c.phone for c in customers if c.phone]
    assert phones and all(E164.match(p) for p in phones)
    assert len(phones) < len(customers)  # some shoppers gave no phone
    for channel in Customer.CONSENT_CHANNELS:
        given = [c for c in customers if c.has_consent(channel)]
        assert 0 < len(given) < len(customers), channel
        assert all(getattr(c, f"{channel}_consent_at") and getattr(c, f"{channel}_consent_source")
                   for c in given)
    assert len({c.locale for c in customers}) >= 3


def test_products_are_outdoor_gear_in_several_categories_with_help_links(seeded):
    tenant, _ = seeded
    with tenant_scope(tenant):
        products = list(Product.objects.all())
    assert {"Tents", "Backpacks", "Jackets", "Footwear", "Cooking"} <= {p.category for p in products}
    assert all(p.currency == "EUR" and p.price > 0 for p in products)
    assert all(p.content_links and p.content_links[0]["url"].startswith("https://")
               for p in products)


def test_it_runs_fast():
    started = time.perf_counter()
    demo.seed_demo()
    assert time.perf_counter() - started < 10
