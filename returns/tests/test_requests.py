"""Starting a return and moving it along: the policy's answer, the rows written, the order's
timeline, the milestones, and clear refusals for bad input."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from config.errors import Conflict, ValidationFailed
from orders.models import OrderEvent
from returns import services
from returns.models import (
    CreatedVia,
    Resolution,
    ReturnEvent,
    ReturnMethod,
    ReturnMilestoneRecord,
    ReturnPolicy,
    ReturnReason,
    ReturnStatus,
)
from tenants.context import tenant_scope

from .factories import PLACED_AT, make_order, make_policy, make_request

pytestmark = pytest.mark.django_db
NOW = PLACED_AT + timedelta(days=5)


def milestones(tenant, request) -> list[str]:
    with tenant_scope(tenant):
        return list(ReturnMilestoneRecord.objects.filter(request=request)
                    .order_by("pk").values_list("milestone", flat=True))


def test_a_return_within_policy_is_approved_at_once_and_on_the_orders_timeline(personas):
    tenant = personas.tenant_a
    make_policy(tenant)
    order = make_order(tenant)
    request = make_request(tenant, order)
    assert (request.status, request.number) == (ReturnStatus.APPROVED, f"R-{order.number[1:]}-1")
    assert request.refund_amount == Decimal("129.00")
    assert milestones(tenant, request) == ["return_requested", "return_approved"]
    with tenant_scope(tenant):
        timeline = list(OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.RETURN)
                        .values_list("summary", flat=True))
    assert timeline == [f"Return {request.number}: Requested (1 item)",
                        f"Return {request.number}: Approved by the return policy"]


def test_a_request_keeps_the_policy_version_it_was_made_under(personas):
    tenant = personas.tenant_a
    first = make_policy(tenant, window_days=30)
    order = make_order(tenant)
    request = make_request(tenant, order)
    second = make_policy(tenant, window_days=7)
    assert (first.version, second.version) == (1, 2)
    assert request.policy_id == first.pk
    with tenant_scope(tenant):
        assert ReturnPolicy.objects.count() == 2


def test_the_fraud_guard_sends_a_frequent_returner_to_review_and_a_person_decides(personas):
    tenant = personas.tenant_a
    make_policy(tenant, fraud_max_returns_90d=1)
    first_order = make_order(tenant)
    make_request(tenant, first_order)
    second = make_request(tenant, make_order(tenant, customer=first_order.customer))
    assert (second.status, second.review_reasons) == (ReturnStatus.NEEDS_REVIEW,
                                                      ["frequent_returns"])
    assert milestones(tenant, second) == ["return_requested"]
    with tenant_scope(tenant):
        services.return_approve(tenant, second.pk, actor="user:alice@alpha.test")
    assert milestones(tenant, second) == ["return_requested", "return_approved"]


@pytest.mark.parametrize(("change", "code"), [
    ({"quantity": 2}, "quantity_too_high"),  # one jacket was bought
    ({"quantity": 0}, "quantity_too_low"),
    ({"reason": "bored"}, "reason_not_offered"),
    ({"resolution": Resolution.KEEP_IT, "method": ReturnMethod.NONE}, "resolution_not_allowed"),
    ({"method": ReturnMethod.LABEL}, "label_not_available"),
    ({"now": PLACED_AT + timedelta(days=40)}, "window_closed"),
])
def test_bad_requests_are_refused_with_a_clear_code(personas, change, code):
    tenant = personas.tenant_a
    make_policy(tenant)
    order = make_order(tenant)
    with pytest.raises(services.ReturnRefused) as refused:
        make_request(tenant, order, **change)
    assert refused.value.code == code


def test_a_second_return_of_the_same_line_is_refused_until_the_first_is_cancelled(personas):
    tenant = personas.tenant_a
    make_policy(tenant)
    order = make_order(tenant)
    first = make_request(tenant, order)
    with pytest.raises(services.ReturnRefused) as refused:
        make_request(tenant, order)
    assert refused.value.code == "already_returned"
    with tenant_scope(tenant):
        services.return_cancel(tenant, first.pk, actor="shopper")
    assert make_request(tenant, order).number.endswith("-2")


def test_a_damaged_item_needs_a_photo_from_the_shopper(personas):
    tenant = personas.tenant_a
    make_policy(tenant)
    order = make_order(tenant)
    with tenant_scope(tenant), pytest.raises(services.ReturnRefused) as refused:
        line = order.lines.first()
        services.return_request_create(
            tenant, order.pk, [services.LineRequest(line.pk, 1, ReturnReason.DAMAGED)],
            resolution=Resolution.REFUND, method=ReturnMethod.SELF_SHIP, now=NOW)
    assert refused.value.code == "photo_required"


def test_the_whole_way_to_store_credit(personas):
    tenant = personas.tenant_a
    make_policy(tenant, store_credit_bonus_percent=Decimal("10"))
    request = make_request(tenant, make_order(tenant), resolution=Resolution.STORE_CREDIT)
    assert request.credit_amount == Decimal("141.90")
    with tenant_scope(tenant):
        services.return_mark_in_transit(tenant, request.pk, actor="carrier:easypost")
        assert services.return_mark_in_transit(tenant, request.pk) is None  # a repeated scan
        line = request.lines.get()
        services.return_receive(tenant, request.pk, lines={line.pk: (1, "as_new")},
                                actor="user:bob@alpha.test")
        settled = services.return_settle(tenant, request.pk, amount=Decimal("141.90"),
                                         reference="GC-1234", actor="user:bob@alpha.test")
        with pytest.raises(Conflict):
            services.return_settle(tenant, request.pk, amount=Decimal("1"))
        statuses = list(ReturnEvent.objects.filter(request=request).values_list("status", flat=True))
    assert settled.status == ReturnStatus.CREDITED
    assert statuses == ["requested", "approved", "in_transit", "received", "credited"]
    assert milestones(tenant, request) == ["return_requested", "return_approved",
                                           "return_received", "refund_issued"]


def test_a_rejection_says_why(personas):
    tenant = personas.tenant_a
    make_policy(tenant)
    request = make_request(tenant, make_order(tenant))
    with tenant_scope(tenant):
        with pytest.raises(ValidationFailed):
            services.return_reject(tenant, request.pk, reason="  ")
        rejected = services.return_reject(tenant, request.pk, reason="Worn outdoors")
    assert (rejected.status, rejected.rejection_reason) == (ReturnStatus.REJECTED, "Worn outdoors")
    assert milestones(tenant, request)[-1] == "return_rejected"


def test_a_late_refund_is_announced_once_after_the_business_days(personas):
    tenant = personas.tenant_a  # UTC
    make_policy(tenant, refund_due_business_days=2)
    request = make_request(tenant, make_order(tenant))
    received = PLACED_AT + timedelta(days=8)  # a Tuesday: due by Thursday
    with tenant_scope(tenant):
        services.return_receive(tenant, request.pk, now=received)
        assert services.returns_refund_delayed_check(tenant, now=received + timedelta(days=2)) == 0
        assert services.returns_refund_delayed_check(tenant, now=received + timedelta(days=3)) == 1
        assert services.returns_refund_delayed_check(tenant, now=received + timedelta(days=9)) == 0
    assert milestones(tenant, request).count("refund_delayed") == 1


def test_an_agent_may_start_a_return_without_photos(personas):
    tenant = personas.tenant_a
    make_policy(tenant)
    order = make_order(tenant)
    with tenant_scope(tenant):
        line = order.lines.first()
        request = services.return_request_create(
            tenant, order.pk, [services.LineRequest(line.pk, 1, ReturnReason.DAMAGED)],
            resolution=Resolution.REFUND, method=ReturnMethod.SELF_SHIP, now=NOW,
            created_via=CreatedVia.AGENT, actor="user:bob@alpha.test")
    assert request.created_via == CreatedVia.AGENT


def test_policy_edits_refuse_unknown_values(personas):
    with tenant_scope(personas.tenant_a), pytest.raises(ValidationFailed):
        services.return_policy_update(personas.tenant_a, default_resolutions=["cash"])
    with tenant_scope(personas.tenant_a), pytest.raises(ValidationFailed):
        services.return_policy_update(personas.tenant_a, rules=[services.RuleInput()])
