"""The agent console's search (orders.search, with tracking's tracking numbers): every kind of
query, formatting variants, accents and typos, both name-matching paths, another tenant's
orders never, and bad input answered, never a 500."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

import pytest
from django.db import connection

from messaging.tests.factories import PLACED_AT, make_customer, make_order, make_shipment
from orders.search import (
    MAX_QUERY,
    order_search,
    phone_candidates,
    search_query_parse,
    trigram_search_available,
)
from tenants.context import tenant_scope
from tenants.rls import cross_tenant

pytestmark = pytest.mark.django_db
BOTH_PATHS = pytest.mark.parametrize("trigram", [True, False], ids=["pg_trgm", "fallback"])


def _numbers(tenant, text, **kwargs) -> list[str]:
    with tenant_scope(tenant):
        return [r.order.number for r in order_search(tenant, text, **kwargs)]


@pytest.fixture
def store(personas):
    """Alpha's orders: Zoë Müller (two orders), Sam Rivera, and Beta's look-alikes."""
    a, b = personas.tenant_a, personas.tenant_b
    zoe = make_customer(a, first_name="Zoë", last_name="Müller", email="zoe@example.com",
                        phone="+4915112345678")
    make_order(a, customer=zoe, number="#1001", external_id="shop-9001")
    make_order(a, customer=zoe, number="#1002", placed_at=PLACED_AT + timedelta(days=3))
    sam = make_customer(a, first_name="Sam", last_name="Rivera", email="sam@example.com",
                        phone="+14155550100")
    order = make_order(a, customer=sam, number="#1003")
    make_shipment(a, order, tracking_number="1Z999AA10123456784", carrier="UPS")
    # Beta has a shopper with the same e-mail, phone and name, and the same order number.
    twin = make_customer(b, first_name="Zoë", last_name="Müller", email="zoe@example.com",
                         phone="+4915112345678")
    make_order(b, customer=twin, number="#1001")
    return a


def test_the_trigram_search_is_built_wherever_postgresql_has_pg_trgm():
    # CI's PostgreSQL has pg_trgm; the embedded one of `make demo` has not (the fallback).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_available_extensions "
                       "WHERE name IN ('pg_trgm', 'btree_gin')")
        contrib = cursor.fetchone()[0] == 2
    assert trigram_search_available() is contrib


def test_the_name_function_reads_the_sessions_tenant_only(store, personas):
    """doorstep_customer_names() runs as the tables' owner (row-level security would keep the
    planner off the trigram index): it applies the tenant rule itself, and finds nothing
    without a tenant or on the cross-tenant path."""
    def found(scope) -> int:
        with scope, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM doorstep_customer_names(doorstep_fold(%s), 50)",
                           ["Zoe Muller"])
            return cursor.fetchone()[0]

    assert trigram_search_available()
    assert found(tenant_scope(personas.tenant_a)) == 1
    assert found(tenant_scope(personas.tenant_b)) == 1  # Beta's twin, not Alpha's Zoë too
    assert found(cross_tenant("test: the name function is no cross-tenant path")) == 0
    assert found(nullcontext()) == 0


@pytest.mark.parametrize("typed", ["#1001", "1001", " 1001 ", "shop-9001"])
def test_an_order_is_found_by_its_number_with_or_without_hash_and_by_external_id(store, typed):
    assert _numbers(store, typed)[0] == "#1001"


@pytest.mark.parametrize("typed", ["zoe@example.com", "ZOE@Example.com "])
def test_orders_are_found_by_the_customers_email_newest_first(store, typed):
    assert _numbers(store, typed) == ["#1002", "#1001"]


@pytest.mark.parametrize("typed", ["+49 151 1234 5678", "0049 151 12345678", "0151/1234-5678",
                                   "+49 (0)151 12345678", "015112345678"])
def test_orders_are_found_by_phone_in_any_common_format(store, typed):
    assert _numbers(store, typed) == ["#1002", "#1001"]


@pytest.mark.parametrize("typed", ["(415) 555-0100", "415.555.0100", "+1 415 555 0100"])
def test_north_american_numbers_are_found_without_a_country_code(store, typed):
    assert _numbers(store, typed) == ["#1003"]


@pytest.mark.parametrize("typed", ["1Z999AA10123456784", "1z999aa10123456784",
                                   "1Z 999 AA1 0123456784"])
def test_an_order_is_found_by_its_tracking_number(store, typed):
    assert _numbers(store, typed) == ["#1003"]


@BOTH_PATHS
@pytest.mark.parametrize("typed", ["Zoë Müller", "zoe muller", "MÜLLER", "Mülle", "zoe mueller",
                                   "Zoe Muler", "muler"])
def test_names_are_found_partially_without_accents_or_case_and_with_a_typo(store, typed, trigram):
    trigram = trigram and trigram_search_available()  # the embedded PostgreSQL has none
    assert _numbers(store, typed, trigram=trigram)[:2] == ["#1002", "#1001"]


@BOTH_PATHS
def test_a_name_typo_does_not_match_someone_else(store, trigram):
    trigram = trigram and trigram_search_available()  # the embedded PostgreSQL has none
    assert "#1003" not in _numbers(store, "Zoe Muler", trigram=trigram)
    assert _numbers(store, "Rivra", trigram=trigram) == ["#1003"]


def test_an_exact_match_ranks_above_a_name(store, personas):
    make_customer(personas.tenant_a, first_name="Rivera", last_name="Shop")
    with tenant_scope(store):
        results = order_search(store, "#1003")
    assert results[0].order.number == "#1003" and results[0].matched == "Order number"


def test_a_result_shows_each_parcels_status(store):
    with tenant_scope(store):
        result = order_search(store, "#1003")[0]
    assert [f.label for f in result.flags] == ["UPS 1Z999AA10123456784: In transit"]


def test_another_tenants_orders_are_never_found(store, personas):
    beta = personas.tenant_b
    for typed in ("zoe@example.com", "+4915112345678", "Zoë Müller", "1Z999AA10123456784"):
        found = _numbers(beta, typed)
        assert "#1002" not in found and "#1003" not in found
    assert _numbers(beta, "#1001") == ["#1001"]
    with tenant_scope(beta):
        assert all(r.order.tenant_id == beta.pk for r in order_search(beta, "zoe"))


def test_a_tenant_with_no_matches_gets_an_empty_list(store, personas):
    assert _numbers(personas.tenant_b, "Rivera") == []
    assert _numbers(store, "nobody-at-all") == []


@pytest.mark.parametrize("typed", ["", "   ", "%", "_", "'; DROP TABLE orders_order; --",
                                   ".*(a+)+$", "\\", "\x00", "a" * MAX_QUERY, "%_%' OR 1=1",
                                   "[[:alpha:]]", "ü" * 50])
def test_metacharacters_and_blank_queries_find_nothing_and_raise_nothing(store, typed):
    assert "#1002" not in _numbers(store, typed)


def test_phone_candidates_are_e164():
    assert phone_candidates("+49 (0)151 1234-5678") == ("+4915112345678",)
    assert phone_candidates("12") == ()
    assert "+4915112345678" in phone_candidates("0151 12345678")
    assert search_query_parse("sam@example.com").phones == ()
