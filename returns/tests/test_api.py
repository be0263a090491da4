"""/api/v1/returns/ and /api/v1/return-policy/: the queue, a return started for a shopper
through the same policy as the portal, each step of its way, and the policy's versions; every
refusal in the one error shape, naming the field at fault."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.tests.api_support import (  # noqa: F401
    alice_api_fixture,
    carol_api_fixture,
    error_fields,
    read_only_api_fixture,
)
from returns.models import CreatedVia, ReturnPolicy, ReturnStatus
from tenants.context import tenant_scope
from tenants.models import AuditEntry

from .factories import make_order, make_policy, make_request

pytestmark = pytest.mark.django_db
LIST = reverse("api-return-list")
POLICY = reverse("api-return-policy")


def step(name: str, request_id: int) -> str:
    return reverse(f"api-return-{name}", args=[request_id])


def recent_order(tenant, **fields):
    """Delivered two days ago: well inside a 30-day window today."""
    return make_order(tenant, delivered_at=timezone.now() - timedelta(days=2), **fields)


def lines_of(order) -> list[int]:
    with tenant_scope(order.tenant):
        return list(order.lines.order_by("position").values_list("pk", flat=True))


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


# --- the queue -------------------------------------------------------------------------

def test_the_queue_filters_by_status_reason_review_and_age(alice_api, personas,
                                                          django_assert_max_num_queries):
    tenant = personas.tenant_a
    make_policy(tenant, fraud_review_above_value=Decimal("100"))
    review = make_request(tenant, make_order(tenant))  # the 129.00 jacket: to review
    make_policy(tenant, fraud_review_above_value=None)
    plain = make_request(tenant, make_order(tenant), reason="too_large")
    for _ in range(3):
        make_request(tenant, make_order(tenant))
    with django_assert_max_num_queries(12):
        page = alice_api.get(LIST).json()
    assert [r["number"] for r in page["results"]][-2:] == [plain.number, review.number]
    assert set(page) == {"next", "previous", "results"}
    first = page["results"][0]
    assert first["lines"][0]["title"] == "Ridge Jacket" and first["policy_version"] == 2
    shown = next(r for r in page["results"] if r["number"] == plain.number)
    assert shown["status_url"].endswith(f"/s/{tenant.slug}/returns/{plain.public_token}/")

    def numbers(query: str) -> list[str]:
        return [r["number"] for r in alice_api.get(f"{LIST}?{query}").json()["results"]]

    assert numbers("needs_review=true") == [review.number]
    assert numbers("status=needs_review") == [review.number]
    assert numbers("reason=too_large") == [plain.number]
    assert review.number not in numbers("needs_review=false")
    assert numbers("age=2d") == []  # all started just now
    assert len(numbers("page_size=2")) == 2


def test_a_misspelt_or_invalid_filter_is_a_400_naming_it(alice_api):
    assert "stauts" in error_fields(alice_api.get(f"{LIST}?stauts=approved"))
    assert "age" in error_fields(alice_api.get(f"{LIST}?age=3d"))
    assert "status" in error_fields(alice_api.get(f"{LIST}?status=lost"))


def test_a_return_is_shown_with_its_timeline(alice_api, personas):
    make_policy(personas.tenant_a)
    request = make_request(personas.tenant_a, make_order(personas.tenant_a))
    body = alice_api.get(reverse("api-return-detail", args=[request.pk])).json()
    assert body["number"] == request.number and body["status"] == "approved"
    assert [e["summary"] for e in body["events"]] == ["Requested (1 item)",
                                                       "Approved by the return policy"]


def test_an_unknown_return_is_not_found(alice_api):
    assert error(alice_api.get(reverse("api-return-detail", args=[999999])), 404)["code"] == \
        "not_found"
    assert error(alice_api.post(step("approve", 999999)), 404)["code"] == "not_found"


# --- starting a return for a shopper -----------------------------------------------------

def test_a_return_started_through_the_api_is_judged_by_the_policy(alice_api, personas):
    tenant = personas.tenant_a
    make_policy(tenant, store_credit_bonus_percent=Decimal("10"))
    order = recent_order(tenant)
    jacket, socks = lines_of(order)
    response = alice_api.post(LIST, {
        "order": order.pk, "resolution": "store_credit", "method": "self_ship",
        "lines": [{"line_item": jacket, "quantity": 1, "reason": "too_small"},
                  {"line_item": socks, "quantity": 2, "reason": "changed_mind",
                   "comment": "Two colours"}]}, format="json")
    body = response.json()
    assert response.status_code == 201, body
    assert body["status"] == ReturnStatus.APPROVED and body["created_via"] == CreatedVia.API
    assert body["created_by"].startswith("api:dsk_")
    # 129.00 + 2 × 12.50 = 154.00, +10 % store credit bonus, fees waived for credit.
    assert (body["items_value"], body["credit_amount"]) == ("154.00", "169.40")
    assert [line["quantity"] for line in body["lines"]] == [1, 2]
    assert body["lines"][1]["comment"] == "Two colours"


def test_what_the_policy_refuses_names_the_line_and_the_rule(alice_api, personas):
    tenant = personas.tenant_a
    make_policy(tenant, window_days=30)
    old = make_order(tenant)  # delivered in early November: the window closed
    jacket, socks = lines_of(old)
    body = {"order": old.pk, "resolution": "refund", "method": "self_ship",
            "lines": [{"line_item": jacket, "quantity": 1, "reason": "too_small"}]}
    refused = error(alice_api.post(LIST, body, format="json"), 400)
    assert refused["code"] == "window_closed" and list(refused["details"]) == ["lines[0]"]

    fresh = recent_order(tenant)
    jacket, socks = lines_of(fresh)
    too_many = error(alice_api.post(LIST, {**body, "order": fresh.pk, "lines": [
        {"line_item": jacket, "quantity": 1, "reason": "too_small"},
        {"line_item": socks, "quantity": 3, "reason": "too_small"}]}, format="json"), 400)
    assert too_many["code"] == "quantity_too_high" and "lines[1]" in too_many["details"]
    foreign = error(alice_api.post(LIST, {**body, "order": fresh.pk, "lines": [
        {"line_item": lines_of(old)[0], "quantity": 1, "reason": "too_small"}]},
        format="json"), 400)
    assert foreign["code"] == "unknown_item"
    keep = error(alice_api.post(LIST, {**body, "order": fresh.pk, "method": "none", "lines": [
        {"line_item": jacket, "quantity": 1, "reason": "too_small"}]}, format="json"), 400)
    assert keep["code"] == "method_mismatch"


def test_an_order_of_another_store_or_none_is_named_as_the_bad_field(alice_api, personas):
    make_policy(personas.tenant_a)
    make_policy(personas.tenant_b)
    theirs = recent_order(personas.tenant_b)
    for order_id in (theirs.pk, 999999):
        details = error_fields(alice_api.post(LIST, {
            "order": order_id, "resolution": "refund", "method": "self_ship",
            "lines": [{"line_item": lines_of(theirs)[0], "quantity": 1,
                       "reason": "too_small"}]}, format="json"))
        assert details == {"order": ["No such order in this store."]}


def test_a_read_only_key_cannot_start_a_return_or_take_a_step(read_only_api, personas):
    make_policy(personas.tenant_a)
    request = make_request(personas.tenant_a, make_order(personas.tenant_a))
    assert read_only_api.get(LIST).status_code == 200
    assert error(read_only_api.post(LIST, {}, format="json"), 403)["code"] == \
        "permission_denied"
    assert error(read_only_api.post(step("cancel", request.pk)), 403)["code"] == \
        "permission_denied"


# --- its steps ---------------------------------------------------------------------------

def test_a_return_goes_from_review_to_refunded_through_the_api(alice_api, personas):
    tenant = personas.tenant_a
    make_policy(tenant, fraud_review_above_value=Decimal("100"))
    request = make_request(tenant, make_order(tenant))
    assert request.status == ReturnStatus.NEEDS_REVIEW
    assert alice_api.post(step("approve", request.pk)).json()["status"] == "approved"
    again = error(alice_api.post(step("approve", request.pk)), 409)
    assert again["code"] == "return_wrong_status" and again["details"] == {"status": "approved"}
    line = alice_api.get(reverse("api-return-detail", args=[request.pk])).json()["lines"][0]

    early = error(alice_api.post(step("settle", request.pk), {"amount": "129.00"},
                                 format="json"), 409)
    assert early["code"] == "return_wrong_status"
    received = alice_api.post(step("receive", request.pk), {"lines": [
        {"line": line["id"], "received_quantity": 1, "condition": "as_new"}]}, format="json")
    assert received.status_code == 200, received.content
    assert received.json()["lines"][0]["condition"] == "as_new"
    settled = alice_api.post(step("settle", request.pk),
                             {"amount": "129.00", "reference": "re_77"}, format="json").json()
    assert (settled["status"], settled["settled_amount"], settled["settled_reference"]) == \
        ("refunded", "129.00", "re_77")
    assert settled["events"][-1]["summary"] == "Refunded: 129.00 EUR"
    assert error(alice_api.post(step("cancel", request.pk)), 409)["code"] == \
        "return_wrong_status"


def test_receiving_names_a_wrong_line_or_quantity(alice_api, personas):
    tenant = personas.tenant_a
    make_policy(tenant)
    request = make_request(tenant, make_order(tenant), quantity=1)
    other = make_request(tenant, make_order(tenant))
    with tenant_scope(tenant):
        line, foreign = request.lines.get().pk, other.lines.get().pk
    details = error_fields(alice_api.post(step("receive", request.pk), {"lines": [
        {"line": foreign, "received_quantity": 1}]}, format="json"))
    assert details == {"lines[0].line": ["Not a line of this return."]}
    details = error_fields(alice_api.post(step("receive", request.pk), {"lines": [
        {"line": line, "received_quantity": 2}]}, format="json"))
    assert details == {"lines[0]": ["Received quantity is between 0 and 1."]}
    assert "lines[0].condition" in error_fields(alice_api.post(step("receive", request.pk), {
        "lines": [{"line": line, "received_quantity": 1, "condition": "soggy"}]}, format="json"))
    with tenant_scope(request.tenant):
        request.refresh_from_db()
    assert request.status == ReturnStatus.APPROVED  # nothing half-done


def test_a_rejection_needs_its_reason_and_a_cancelled_return_stays_cancelled(alice_api, personas):
    tenant = personas.tenant_a
    make_policy(tenant)
    request = make_request(tenant, make_order(tenant))
    assert "reason" in error_fields(alice_api.post(step("reject", request.pk), {"reason": "  "},
                                                   format="json"))
    assert "reason" in error_fields(alice_api.post(step("reject", request.pk), {},
                                                   format="json"))
    assert alice_api.post(step("cancel", request.pk)).json()["status"] == "cancelled"
    late = error(alice_api.post(step("reject", request.pk), {"reason": "Worn"}, format="json"),
                 409)
    assert late["details"] == {"status": "cancelled"}
    assert "amount" in error_fields(alice_api.post(step("settle", request.pk),
                                                   {"amount": "-1.00"}, format="json"))


# --- the policy --------------------------------------------------------------------------

def test_a_store_without_a_policy_has_none_to_show(alice_api):
    assert error(alice_api.get(POLICY), 404)["code"] == "not_found"
    assert "non_field_errors" in error_fields(alice_api.put(POLICY))  # no body: no policy
    assert alice_api.put(POLICY, {}, format="json").json()["version"] == 1  # {}: the defaults


def test_each_edit_of_the_policy_is_a_new_version_and_audited(alice_api, personas):
    tenant = personas.tenant_a
    recent_order(tenant)  # the catalog: Jackets, Socks
    put = alice_api.put(POLICY, {
        "window_days": 45, "category_window_days": {"Socks": 14},
        "non_returnable_categories": ["jackets"], "store_credit_bonus_percent": "10.00",
        "rules": [{"reasons": ["damaged"], "max_unit_price": "15.00",
                   "resolutions": ["keep_it", "refund"]}]}, format="json")
    assert put.status_code == 200, put.content
    first = put.json()
    assert (first["version"], first["window_days"], first["category_window_days"]) == \
        (1, 45, {"Socks": 14})
    assert first["rules"] == [{"reasons": ["damaged"], "categories": [],
                               "max_unit_price": "15.00", "resolutions": ["keep_it", "refund"],
                               "needs_review": False}]
    patched = alice_api.patch(POLICY, {"restocking_percent": "5.00"}, format="json").json()
    assert (patched["version"], patched["window_days"], patched["restocking_percent"]) == \
        (2, 45, "5.00")
    assert patched["rules"] == first["rules"]  # kept: not sent
    replaced = alice_api.put(POLICY, {"window_days": 20}, format="json").json()
    assert (replaced["version"], replaced["rules"], replaced["store_credit_bonus_percent"]) == \
        (3, [], "0.00")  # a PUT is the whole policy: what is left out is the default
    assert alice_api.get(POLICY).json()["version"] == 3
    with tenant_scope(tenant):
        entries = list(AuditEntry.objects.filter(action="return_policy.changed")
                       .order_by("pk").values_list("summary", "actor"))
    assert [summary for summary, _ in entries][1] == \
        "Return policy v2: changed restocking_percent"
    assert all(actor.startswith("api:dsk_") for _, actor in entries)


@pytest.mark.parametrize(("body", "field"), [
    ({"window_days": -1}, "window_days"),
    ({"category_window_days": {"Socks": -3}}, "category_window_days.Socks"),
    ({"category_window_days": {"Swimwear": 14}}, "category_window_days"),
    ({"non_returnable_categories": ["Jackts"]}, "non_returnable_categories"),
    ({"rules": [{"categories": ["Tents"], "resolutions": ["refund"]}]}, "rules[0].categories"),
    ({"rules": [{"reasons": ["too_small"]}]}, "rules[0]"),
    ({"rules": [{"resolutions": ["cash"]}]}, "rules[0].resolutions[0]"),
    ({"store_credit_bonus_percent": "150.00"}, "store_credit_bonus_percent"),
    ({"restocking_percent": "-1.00"}, "restocking_percent"),
    ({"reasons": ["too_small", "bored"]}, "reasons[1]"),
    ({"reasons": []}, "reasons"),
    ({"default_resolutions": []}, "default_resolutions"),
    ({"return_shipping_fee": "-4.90"}, "return_shipping_fee"),
    ({"refund_due_business_days": 0}, "refund_due_business_days"),
    ({"window": 30}, "window"),
])
def test_a_policy_edit_with_a_problem_names_the_field_and_writes_nothing(alice_api, personas,
                                                                          body, field):
    recent_order(personas.tenant_a)  # the catalog: Jackets, Socks
    make_policy(personas.tenant_a)
    details = error_fields(alice_api.patch(POLICY, body, format="json"))
    assert field in details, details
    with tenant_scope(personas.tenant_a):
        assert ReturnPolicy.objects.count() == 1


def test_an_unknown_category_says_which_the_catalog_has(alice_api, personas):
    recent_order(personas.tenant_a)
    details = error_fields(alice_api.patch(POLICY, {"non_returnable_categories": ["Swimwear"]},
                                           format="json"))
    assert details["non_returnable_categories"] == [
        "Unknown category Swimwear: no product of your catalog has it (categories: Jackets, "
        "Socks)."]


def test_only_a_read_write_key_edits_the_policy(read_only_api, personas):
    make_policy(personas.tenant_a)
    assert read_only_api.get(POLICY).json()["version"] == 1
    assert error(read_only_api.patch(POLICY, {"window_days": 10}, format="json"), 403)["code"] \
        == "permission_denied"


def test_another_stores_policy_is_its_own(carol_api, personas):
    make_policy(personas.tenant_a, window_days=60)
    assert error(carol_api.get(POLICY), 404)["code"] == "not_found"
    carol_api.patch(POLICY, {"window_days": 10}, format="json")
    with tenant_scope(personas.tenant_a):
        assert ReturnPolicy.objects.get().window_days == 60
