"""Shopify JSON → our upsert inputs, against the recorded payloads (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orders.models import ConsentSource, Order
from tracking.shopify import mapping

FIXTURES = Path(__file__).resolve().parents[2] / "tracking" / "shopify" / "fixtures"


def payload(name: str) -> dict:
    return json.loads((FIXTURES / name).read_bytes())


def test_an_order_maps_its_number_ids_money_and_statuses():
    data = mapping.order_input(payload("orders_create.json"))
    assert (data.external_id, data.number, data.currency) == ("450789469", "#1001", "USD")
    assert data.placed_at == datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
    assert (data.subtotal, data.shipping, data.tax, data.total) == (
        Decimal("204.00"), Decimal("10.00"), Decimal("0.90"), Decimal("214.90"))
    assert data.source == Order.Source.SHOPIFY
    assert data.financial_status == Order.FinancialStatus.PAID
    assert data.fulfillment_status == Order.FulfillmentStatus.UNFULFILLED


def test_lines_keep_price_as_decimal_and_name_their_product_when_there_is_one():
    lines = mapping.order_input(payload("orders_create.json")).lines
    assert [(li.title, li.quantity, li.unit_price, li.sku, li.product_external_id) for li in lines] == [
        ("IPod Nano - 8gb", 1, Decimal("199.00"), "IPOD2008GREEN", "632910392"),
        ("Gift wrap", 1, Decimal("5.00"), "", None),
    ]


def test_the_customer_and_marketing_consents_are_mapped_with_source_import():
    customer = mapping.order_input(payload("orders_create.json")).customer
    assert (customer.external_id, customer.email, customer.phone) == (
        "207119551", "bob.norman@example.com", "+16136120707")
    assert (customer.first_name, customer.last_name, customer.locale) == ("Bob", "Norman", "en")
    assert customer.consents == {"marketing_email": True, "marketing_sms": False}
    assert customer.consent_source == ConsentSource.IMPORT


def test_the_legacy_accepts_marketing_flag_is_a_marketing_email_consent():
    body = payload("orders_create.json")
    del body["customer"]["email_marketing_consent"], body["customer"]["sms_marketing_consent"]
    body["customer"]["accepts_marketing"] = True
    assert mapping.order_input(body).customer.consents == {"marketing_email": True}


def test_a_pending_double_opt_in_is_not_consent():
    body = payload("orders_create.json")
    body["customer"]["email_marketing_consent"]["state"] = "pending"
    assert mapping.order_input(body).customer.consents["marketing_email"] is False


def test_the_shipping_address_gets_our_keys():
    assert mapping.order_input(payload("orders_create.json")).shipping_address == {
        "name": "Bob Norman", "address1": "Chestnut Street 92", "address2": "Apt 4",
        "city": "Louisville", "postcode": "40202", "province": "KY", "country_code": "US",
        "phone": "+1 555-625-1199"}


def test_a_guest_checkout_becomes_a_customer_named_by_its_email():
    data = mapping.order_input(payload("orders_create_guest.json"))
    assert data.customer.external_id == "guest:guest.shopper@example.com"
    assert data.financial_status == Order.FinancialStatus.AUTHORIZED
    assert data.shipping == Decimal("0") and data.shipping_address["name"] == "Gina Guest"


def test_cancelled_at_makes_the_order_cancelled_whatever_it_shipped():
    data = mapping.order_input(payload("orders_updated_cancelled.json"))
    assert data.fulfillment_status == Order.FulfillmentStatus.CANCELLED
    assert data.financial_status == Order.FinancialStatus.REFUNDED


@pytest.mark.parametrize(("shopify_status", "ours"), [
    (None, Order.FulfillmentStatus.UNFULFILLED), ("partial", Order.FulfillmentStatus.PARTIALLY_FULFILLED),
    ("fulfilled", Order.FulfillmentStatus.FULFILLED), ("restocked", Order.FulfillmentStatus.RETURNED),
])
def test_fulfillment_statuses_map_to_ours(shopify_status, ours):
    body = {**payload("orders_create.json"), "fulfillment_status": shopify_status}
    assert mapping.order_input(body).fulfillment_status == ours


@pytest.mark.parametrize("status", sorted(mapping.FINANCIAL_STATUS))
def test_every_financial_status_maps_to_one_of_ours(status):
    body = {**payload("orders_create.json"), "financial_status": status}
    assert mapping.order_input(body).financial_status in Order.FinancialStatus.values


def test_a_phone_not_in_e164_form_is_dropped_rather_than_failing_the_order():
    body = payload("orders_create.json")
    body["customer"]["phone"] = "555-625-1199"
    assert mapping.order_input(body).customer.phone == ""


def test_products_are_the_catalog_products_the_lines_name():
    products = mapping.product_inputs(payload("orders_create.json"))
    assert [(p.external_id, p.title, p.price, p.currency, p.sku) for p in products] == [
        ("632910392", "IPod Nano - 8gb", Decimal("199.00"), "USD", "IPOD2008GREEN")]


@pytest.mark.parametrize(("change", "field"), [
    ({"currency": None}, "currency"),
    ({"created_at": None, "processed_at": None}, "created_at"),
    ({"total_price": "lots"}, "total_price"),
    ({"line_items": []}, "line_items"),
    ({"id": None}, "id"),
])
def test_a_body_we_cannot_map_names_the_field(change, field):
    with pytest.raises(mapping.ShopifyPayloadError) as raised:
        mapping.order_input({**payload("orders_create.json"), **change})
    assert field in raised.value.details


def test_the_published_vector_body_lacks_what_an_order_needs():
    """The [OURS] HMAC vector is a minimal example without currency or created_at."""
    with pytest.raises(mapping.ShopifyPayloadError):
        mapping.order_input(json.loads((FIXTURES / "vector_order_287.json").read_bytes()))
