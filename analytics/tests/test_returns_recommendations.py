"""Returns and recommendation KPIs on handmade data, each figure worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics.kpis import Filters, Period
from analytics.rollups import rollups_differences, rollups_update
from analytics.selectors import breakdowns, kpis_compute
from messaging.tests.factories import make_customer, make_order
from recommendations.models import RecommendationClick, RecommendationShown
from returns.models import ReturnEvent, ReturnLine, ReturnPolicy, ReturnRequest
from tenants.context import tenant_scope
from tenants.models import Tenant

from .activity import utc

pytestmark = pytest.mark.django_db
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def berlin(personas) -> Tenant:
    Tenant.objects.filter(pk=personas.tenant_a.pk).update(timezone="Europe/Berlin")
    return Tenant.objects.get(pk=personas.tenant_a.pk)


def a_return(tenant, order, line, *, status: str, reason: str, created, received=None,
             settled=None, number: str) -> ReturnRequest:
    with tenant_scope(tenant):
        policy = ReturnPolicy.objects.first() or ReturnPolicy.objects.create(version=1)
        request = ReturnRequest.objects.create(
            order=order, customer=order.customer, policy=policy, number=number, status=status,
            resolution="refund", method="label", created_via="shopper", currency="EUR",
            received_at=received, settled_at=settled)
        ReturnRequest.objects.filter(pk=request.pk).update(created_at=created)
        ReturnLine.objects.create(request=request, line_item=line, quantity=1, reason=reason,
                                  unit_price=line.unit_price)
        ReturnEvent.objects.create(request=request, status=status, summary=status,
                                   occurred_at=created)
        return request


def test_returns_rate_reasons_and_refund_time(berlin):
    kept = make_order(berlin, placed_at=utc(2026, 3, 2, 10))  # a tent and a mat
    returned = make_order(berlin, placed_at=utc(2026, 3, 3, 10))
    with tenant_scope(berlin):
        tent, mat = list(returned.lines.order_by("position"))
    a_return(berlin, returned, tent, status="refunded", reason="too_small",
             created=utc(2026, 3, 10, 9), received=utc(2026, 3, 12, 9),
             settled=utc(2026, 3, 15, 22, 30), number="R-1")  # 15 March 23:30 in Berlin
    a_return(berlin, returned, mat, status="rejected", reason="changed_mind",
             created=utc(2026, 3, 10, 9), number="R-2")
    with tenant_scope(berlin):
        rollups_update(berlin)
        figures = kpis_compute(MARCH, Filters(), today=date(2026, 12, 1))
        tables = {t.name: t for t in breakdowns(MARCH, Filters())}
        differences = rollups_differences(berlin, MARCH.first, MARCH.last)

    assert kept.pk != returned.pk
    # Four units sold (two orders of two lines), one returned: the rejected one is not.
    assert (figures["returned_items"], figures["return_rate"]) == (1, 0.25)
    # Received 12 March, settled 15 March (local): three days.
    assert (figures["refund_time_median_days"], figures["refund_time_p90_days"]) == (3, 3)
    assert tables["returns_by_reason"].rows == [("too_small", 1, 1, Decimal("249.00"))]
    assert tables["returns_by_category"].rows == [("Sleeping", 2, 0, 0.0), ("Tents", 2, 1, 0.5)]
    assert tables["returns_by_product"].rows[0][1:] == ("Trail 2 Tent", 1, 1, 1.0)
    assert differences == []


def test_an_order_goes_to_the_last_click_within_the_attribution_window(berlin):
    """As recommendations.selectors.attributed_orders defines it: the order's total, and apart
    the lines of the products the shopper clicked."""
    shopper = make_customer(berlin)
    first = make_order(berlin, customer=shopper, placed_at=utc(2026, 3, 1, 10))
    with tenant_scope(berlin):
        tent = first.lines.get(position=1).product
    again = make_order(berlin, customer=shopper, placed_at=utc(2026, 3, 8, 10), lines=1)
    with tenant_scope(berlin):
        again.lines.update(product=tent)
        for n in range(4):
            RecommendationShown.objects.create(
                product=tent, customer=shopper, order=first, surface="email",
                milestone="delivered", reference=f"m{n}", shown_at=utc(2026, 3, 5, 9))
        for surface, milestone, at in (("email", "delivered", utc(2026, 3, 5, 10)),
                                       ("tracking_page", "", utc(2026, 3, 7, 10)),
                                       ("email", "delivered", utc(2026, 2, 1, 10))):
            RecommendationClick.objects.create(
                product=tent, customer=shopper, order=first, surface=surface,
                milestone=milestone, reference="x", clicked_at=at, dedup_key=f"{surface}{at}")
    late = make_order(berlin, customer=shopper, placed_at=utc(2026, 3, 20, 10), lines=1)
    with tenant_scope(berlin):
        late.lines.update(product=tent)  # 13 days after the last click: not attributed
        rollups_update(berlin)
        figures = kpis_compute(MARCH, Filters(), today=date(2026, 12, 1))
        placements = next(t for t in breakdowns(MARCH, Filters())
                          if t.name == "recommendations_by_placement").rows
        differences = rollups_differences(berlin, date(2026, 2, 1), MARCH.last)

    assert (figures["recommendation_clicks"], figures["recommendation_click_rate"]) == (2, 0.5)
    assert figures["recommendation_attributed_orders"] == 1  # `again`; `late` is 13 days on
    assert figures["recommendation_attributed_revenue"] == again.total
    assert figures["recommended_products_revenue"] == Decimal("249.00")  # the tent's line
    assert placements == [
        ("email", "delivered", 4, 1, 0.25, "", 0, 0, 0),
        ("tracking_page", "", 0, 1, None, "EUR", 1, again.total, Decimal("249.00"))]
    assert differences == []
