"""The retailer's Returns area: the queue with its filters, a return's page, and the steps a
returns team takes, each a clear answer (a wrong step is a message, never a 500)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from returns.models import ReturnStatus
from tenants.context import tenant_scope

from .factories import make_order, make_policy, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(client, personas):
    client.force_login(personas.bob)  # an agent: handles returns
    return client


def test_the_queue_filters_by_review_and_reason(bob, personas, django_assert_max_num_queries):
    tenant = personas.tenant_a
    make_policy(tenant, fraud_review_above_value=Decimal("100"))
    review = make_request(tenant, make_order(tenant))  # the 129.00 jacket: to review
    make_policy(tenant, fraud_review_above_value=None)
    plain = make_request(tenant, make_order(tenant), reason="too_large")
    with django_assert_max_num_queries(12):
        page = bob.get("/returns/").content.decode()
    assert review.number in page and plain.number in page
    only_review = bob.get("/returns/?review=1").content.decode()
    assert review.number in only_review and plain.number not in only_review
    too_large = bob.get("/returns/?reason=too_large&age=bogus").content.decode()
    assert plain.number in too_large and review.number not in too_large


def test_a_return_goes_from_review_to_refunded_through_the_dashboard(bob, personas):
    tenant = personas.tenant_a
    make_policy(tenant, fraud_review_above_value=Decimal("100"))
    request = make_request(tenant, make_order(tenant), reason="damaged")
    page = bob.get(f"/returns/{request.pk}/").content.decode()
    assert "Approve" in page and f"/returns/{request.pk}/photos/" in page
    photo_url = page.split(f'src="/returns/{request.pk}/photos/')[1].split('"')[0]
    assert bob.get(f"/returns/{request.pk}/photos/{photo_url}").status_code == 200
    bob.post(f"/returns/{request.pk}/approve/")
    with tenant_scope(tenant):
        line = request.lines.get()
    bob.post(f"/returns/{request.pk}/receive/", {f"received_{line.pk}": "1",
                                                 f"condition_{line.pk}": "as_new"})
    bad = bob.post(f"/returns/{request.pk}/settle/", {"amount": "lots"}, follow=True)
    assert "Enter the amount as a number" in bad.content.decode()
    bob.post(f"/returns/{request.pk}/settle/", {"amount": "129.00", "reference": "PAY-77"})
    with tenant_scope(request.tenant):
        request.refresh_from_db()
    assert (request.status, request.settled_reference) == (ReturnStatus.REFUNDED, "PAY-77")
    again = bob.post(f"/returns/{request.pk}/approve/", follow=True)
    assert again.status_code == 200 and "cannot be approved now" in again.content.decode()
    timeline = bob.get(f"/returns/{request.pk}/").content.decode()
    assert "Refunded: 129.00 EUR" in timeline and "user:bob@alpha.test" in timeline


def test_a_rejection_needs_a_reason(bob, personas):
    tenant = personas.tenant_a
    make_policy(tenant)
    request = make_request(tenant, make_order(tenant))
    answer = bob.post(f"/returns/{request.pk}/reject/", {"reason": " "}, follow=True)
    assert "Say why the return is rejected" in answer.content.decode()
    bob.post(f"/returns/{request.pk}/reject/", {"reason": "Worn outdoors"})
    with tenant_scope(request.tenant):
        request.refresh_from_db()
    assert request.status == ReturnStatus.REJECTED
