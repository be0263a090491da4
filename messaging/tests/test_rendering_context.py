"""The variables a template sees: plain data from the models, in a fixed number of queries,
promotional data only for messages allowed to carry it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging.rendering import context_for, contexts_for_many
from messaging.tests.factories import (
    make_customer,
    make_message,
    make_order,
    make_product,
    make_shipment,
)
from orders.models import LineItem
from recommendations.learning import associations_recompute
from tenants.context import tenant_scope
from tenants.models import Brand

pytestmark = pytest.mark.django_db


def test_a_shipment_context_holds_the_documented_variables(personas, settings):
    tenant = personas.tenant_a
    order = make_order(tenant, customer=make_customer(tenant, first_name="Lea", locale="de"))
    shipment = make_shipment(tenant, order)
    with tenant_scope(tenant):
        context = context_for(tenant, milestone="shipped", shipment=shipment)
    assert context["locale"] == "de"
    assert context["customer"]["first_name"] == "Lea"
    assert context["order"]["number"] == order.number
    assert [line["title"] for line in context["line_items"]] == ["Trail 2 Tent", "Cloud Sleeping Mat"]
    assert context["line_items"][0]["how_to"][0]["url"] == "https://shop.example.com/how-to/tent"
    assert context["line_items"][0]["image_url"].startswith("https://cdn.example.com/")
    assert context["shipment"]["carrier"] == "DHL"
    assert context["status"] == {"code": "in_transit", "label": "Unterwegs"}
    assert context["tracking_url"] == f"{settings.PUBLIC_BASE_URL}/t/{shipment.public_token}/"
    assert context["estimated_delivery"] == date(2026, 3, 13)
    assert context["promised_delivery"] == date(2026, 3, 12)
    assert context["brand"]["name"] == "Alpha Outfitters"
    assert context["brand"]["primary_color"] == "#1F6FEB"
    assert context["delay_apology"] == "" and context["recommendations"] == []


def test_a_shipment_lists_only_the_lines_it_carries(personas):
    tenant = personas.tenant_a
    order = make_order(tenant, lines=3)
    with tenant_scope(tenant):
        shipment = make_shipment(tenant, order, with_items=False)
        shipment.items.create(line_item=order.lines.get(position=2), quantity=1)
        context = context_for(tenant, milestone="shipped", shipment=shipment)
    assert [line["title"] for line in context["line_items"]] == ["Cloud Sleeping Mat"]
    assert len(context["order"]["line_items"]) == 3


def test_a_parcel_with_part_of_a_line_shows_its_own_quantity(personas):
    tenant = personas.tenant_a
    order = make_order(tenant, lines=2)
    with tenant_scope(tenant):
        tent, mat = order.lines.order_by("position")
        mat.quantity = 3
        mat.save(update_fields=["quantity"])
        shipment = make_shipment(tenant, order, with_items=False)
        shipment.items.create(line_item=tent, quantity=tent.quantity)
        shipment.items.create(line_item=mat, quantity=1)
        context = context_for(tenant, milestone="shipped", shipment=shipment)
    parcel = {line["sku"]: (line["quantity"], line["line_total"]) for line in context["line_items"]}
    ordered = {line["sku"]: line["quantity"] for line in context["order"]["line_items"]}
    assert parcel == {tent.sku: (tent.quantity, tent.unit_price * tent.quantity),
                      mat.sku: (1, mat.unit_price)}
    assert ordered == {tent.sku: tent.quantity, mat.sku: 3}
    assert context["line_items"][0]["how_to"] == context["order"]["line_items"][0]["how_to"] != []


def test_an_order_message_has_no_shipment_and_no_tracking_link(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        context = context_for(tenant, milestone="order_confirmed", order=make_order(tenant))
    assert context["shipment"] is None and context["tracking_url"] == ""
    assert len(context["line_items"]) == 2


def test_a_delayed_message_carries_the_apology_in_the_shoppers_language(personas):
    tenant = personas.tenant_a
    order = make_order(tenant, customer=make_customer(tenant, locale="fr"))
    with tenant_scope(tenant):
        context = context_for(tenant, milestone="delayed", shipment=make_shipment(tenant, order))
    assert context["delayed"] is True
    assert context["delay_apology"].startswith("Nous sommes désolés")


def test_the_messages_locale_wins_and_its_links_are_signed(personas):
    tenant = personas.tenant_a
    shipment = make_shipment(tenant, make_order(tenant))
    message = make_message(tenant, shipment=shipment, locale="es")
    with tenant_scope(tenant):
        context = context_for(tenant, milestone="shipped", shipment=shipment, message=message)
    assert context["locale"] == "es"
    assert "/u/preview/" not in context["preferences_url"]
    assert context["unsubscribe_url"].startswith(context["preferences_url"])


def test_marketing_is_only_flagged_when_asked(personas):
    tenant = personas.tenant_a
    order = make_order(tenant)
    with tenant_scope(tenant):
        assert context_for(tenant, milestone="delivered", order=order)["include_marketing"] is False
        assert context_for(tenant, milestone="delivered", order=order,
                           include_marketing=True)["include_marketing"] is True


def test_the_tracking_link_uses_the_tenants_own_domain_when_mapped(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        Brand.objects.update(custom_tracking_domain="track.alpha.example")
    shipment = make_shipment(tenant, make_order(tenant))
    with tenant_scope(tenant):
        context = context_for(tenant, milestone="shipped", shipment=shipment)
    assert context["tracking_url"] == f"https://track.alpha.example/t/{shipment.public_token}/"


def test_the_brand_gives_colours_a_readable_text_colour_and_a_font_stack(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        Brand.objects.update(primary_color="#FDE047", font="georgia",
                             social_links={"instagram": "https://instagram.com/alpha"})
        brand = context_for(tenant, milestone="shipped", order=make_order(tenant))["brand"]
    assert brand["on_primary"] == "#111827"
    assert brand["font_stack"].startswith("Georgia")
    assert brand["social_links"] == [{"network": "instagram", "label": "Instagram",
                                      "url": "https://instagram.com/alpha"}]


def test_another_tenants_order_is_refused(personas):
    carols = make_order(personas.tenant_b)
    with pytest.raises(ValueError, match="another tenant"), tenant_scope(personas.tenant_a):
        context_for(personas.tenant_a, milestone="shipped", order=carols)


def test_one_context_takes_a_handful_of_queries(personas):
    tenant = personas.tenant_a
    shipment = make_shipment(tenant, make_order(tenant, lines=5))
    with CaptureQueriesContext(connection) as queries, tenant_scope(tenant):
        context_for(tenant, milestone="shipped", shipment=shipment)
    assert len(queries) <= 6  # brand, shipment, items, order, lines, products


def test_a_batch_of_contexts_takes_the_same_queries_whatever_its_size(personas):
    tenant = personas.tenant_a

    def batch(size):
        messages = [make_message(tenant, shipment=make_shipment(tenant, make_order(tenant)))
                    for _ in range(size)]
        messages.append(make_message(tenant, order=make_order(tenant), milestone="order_confirmed"))
        with CaptureQueriesContext(connection) as queries, tenant_scope(tenant):
            contexts = contexts_for_many(tenant, messages)
        assert set(contexts) == {message.pk for message in messages}
        return len(queries)

    assert batch(2) == batch(12) <= 7


def test_a_batch_context_matches_the_single_one(personas):
    tenant = personas.tenant_a
    shipment = make_shipment(tenant, make_order(tenant))
    message = make_message(tenant, shipment=shipment, locale="de")
    with tenant_scope(tenant):
        single = context_for(tenant, milestone="shipped", shipment=shipment, message=message)
        assert contexts_for_many(tenant, [message])[message.pk] == single


def test_a_batch_with_recommendations_takes_the_same_queries_whatever_its_size(personas):
    # Given earlier shoppers who bought a stove or a lamp with their tent
    tenant = personas.tenant_a
    recent = timezone.now() - timedelta(days=3)
    stove = make_product(tenant, "Camp Stove", category="Cooking", price=Decimal("30.00"))
    lamp = make_product(tenant, "Head Lamp", category="Lights", price=Decimal("12.00"))
    for extra in (stove, stove, lamp):
        order = make_order(tenant, placed_at=recent - timedelta(days=30))
        with tenant_scope(tenant):
            LineItem.objects.create(order=order, position=3, product=extra, sku=extra.sku,
                                    title=extra.title, quantity=1, unit_price=extra.price)
    with tenant_scope(tenant):
        associations_recompute(tenant)  # what the nightly task learns

    def batch(size):
        messages = [make_message(tenant, shipment=make_shipment(
            tenant, make_order(tenant, placed_at=recent)), includes_marketing=True)
            for _ in range(size)]
        with CaptureQueriesContext(connection) as queries, tenant_scope(tenant):
            contexts = contexts_for_many(tenant, messages)
        # then every message offers the stove first, the lamp next
        assert {tuple(pick["title"] for pick in context["recommendations"])[:2]
                for context in contexts.values()} == {("Camp Stove", "Head Lamp")}
        return len(queries)

    # when the batch is four times larger, it takes the same queries (seven, and at most
    # twelve for the recommendations: recommendations/picking.py)
    assert batch(3) == batch(12) <= 7 + 12
