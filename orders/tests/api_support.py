"""Helpers for the ingestion API tests (orders and tracking): authenticated clients for the
standing personas, a read-only key, and request bodies with sensible defaults.

Fixtures are registered under their short names (`alice_api`), so a test module imports
`alice_api_fixture` and asks for `alice_api`."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.permissions import ApiKeyScope


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture(name="alice_api")
def alice_api_fixture(personas) -> APIClient:
    return client_for(personas.alice_key)


@pytest.fixture(name="carol_api")
def carol_api_fixture(personas) -> APIClient:
    return client_for(personas.carol_key)


@pytest.fixture(name="read_only_api")
def read_only_api_fixture(personas) -> APIClient:
    with tenant_scope(personas.tenant_a):
        _, raw = tenant_services.api_key_create(personas.tenant_a, name="Alpha BI",
                                                scope=ApiKeyScope.READ, actor=personas.alice)
    return client_for(raw)


def customer_body(**overrides) -> dict:
    return {"external_id": "cus-1", "email": "Sam@Example.test", "first_name": "Sam",
            "phone": "+4915112345678", **overrides}


def product_body(n: int = 1, **overrides) -> dict:
    return {"external_id": f"p-{n}", "sku": f"SKU-{n}", "title": f"Product {n}",
            "price": "19.90", "currency": "EUR", "category": "tents", **overrides}


def order_body(n: int = 1, **overrides) -> dict:
    return {
        "external_id": f"ord-{n}", "number": f"#{1000 + n}", "currency": "EUR",
        "placed_at": "2026-11-20T09:00:00Z", "shipping": "4.90",
        "customer": {"external_id": f"cus-{n}", "email": f"shopper{n}@example.test"},
        "lines": [{"title": "Trail tent", "sku": "TENT-2P", "quantity": 1, "unit_price": "199.00"},
                  {"title": "Pegs", "sku": "PEG-10", "quantity": 2, "unit_price": "5.50"}],
        **overrides,
    }


def error_fields(response) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    return error["details"]


def walk_pages(client: APIClient, url: str) -> list[dict]:
    """Every item of a cursor-paginated list, following `next` links."""
    items, pages = [], 0
    while url:
        body = client.get(url).json()
        items += body["results"]
        url, pages = body["next"], pages + 1
        assert pages < 100
    return items
