"""Deleting a store (the operator's last resort, and what a benchmark does to clean up) takes
everything it owns along, across every app, and leaves the other stores alone."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models.deletion import RestrictedError

from messaging.models import Template
from orders import services as order_services
from orders.services import CustomerInput, LineInput, OrderInput
from tenants.context import tenant_scope
from tenants.models import Tenant
from tenants.rls import cross_tenant
from tenants.scoping import TenantScopedModel
from tenants.services import tenant_delete
from tracking import services as tracking_services

pytestmark = pytest.mark.django_db


def scoped_models():
    return [m for m in apps.get_models() if issubclass(m, TenantScopedModel)]


def owned_rows(tenant_id: int) -> dict[str, int]:
    with cross_tenant("a test counts a store's rows, and sees a deleted store's"):
        counts = {m._meta.label: m.objects.unscoped(reason="test counts a store's rows")
                  .filter(tenant_id=tenant_id).count() for m in scoped_models()}
    return {label: n for label, n in counts.items() if n}


def a_busy_store(tenant: Tenant) -> None:
    """Journeys and templates from sign-up, plus an order, a shipment with events and the
    messages the milestones planned."""
    from datetime import UTC, datetime
    from decimal import Decimal

    with tenant_scope(tenant):
        order, _ = order_services.order_upsert(tenant, OrderInput(
            external_id="o-1", number="#1", placed_at=datetime(2026, 3, 2, tzinfo=UTC),
            currency="EUR", customer=CustomerInput(external_id="c-1", email="sam@example.test"),
            lines=[LineInput(title="Tent", quantity=1, unit_price=Decimal("120.00"))]))
        shipment = tracking_services.shipment_create(tenant, carrier="UPS",
                                                     tracking_number="1ZDEL", order=order)
        # What the shopper's tracking page leaves: its settings, a rating, a day's views.
        from tracking.models import DeliveryFeedback, ShipmentPageViewDay
        from tracking.services.page_settings import tracking_page_settings_update

        tracking_page_settings_update(tenant, returns_enabled=True)
        DeliveryFeedback.objects.create(shipment=shipment, rating=5)
        ShipmentPageViewDay.objects.create(shipment=shipment, day=datetime(2026, 3, 4).date(),
                                           source="email", views=3)
        # A return under the store's policy, with its timeline and milestones.
        from returns import services as return_services

        return_services.return_policy_update(tenant, rules=[return_services.RuleInput(
            resolutions=["refund"], reasons=["too_small"])])
        return_services.return_request_create(
            tenant, order.pk, [return_services.LineRequest(order.lines.get().pk, 1, "too_small")],
            resolution="refund", method="self_ship", now=datetime(2026, 3, 5, tzinfo=UTC))


def test_deleting_a_store_removes_everything_it_owns_and_nothing_else(personas,
                                                                       django_capture_on_commit_callbacks):
    alpha, beta = personas.tenant_a, personas.tenant_b
    with django_capture_on_commit_callbacks(execute=True):
        a_busy_store(alpha)
        a_busy_store(beta)
    assert {"messaging.JourneyRule", "messaging.Template", "orders.Order",
            "tracking.Shipment", "tracking.TrackingPageSettings", "tracking.DeliveryFeedback",
            "tracking.ShipmentPageViewDay", "returns.ReturnPolicy", "returns.ReturnRule",
            "returns.ReturnRequest", "returns.ReturnLine", "returns.ReturnEvent",
            "returns.ReturnMilestoneRecord"} <= set(owned_rows(alpha.pk))
    beta_before = owned_rows(beta.pk)

    tenant_delete(alpha.pk)  # outside any scope, as an operator's command runs

    assert owned_rows(alpha.pk) == {}
    assert owned_rows(beta.pk) == beta_before


def test_a_template_a_rule_uses_still_cannot_be_deleted_on_its_own(personas):
    with tenant_scope(personas.tenant_a):
        used = Template.objects.filter(rules__isnull=False).first()
        with pytest.raises(RestrictedError):
            used.delete()
        assert Template.objects.filter(pk=used.pk).exists()
