"""Prepaid return labels through the official easypost SDK against the fake EasyPost server
(tests/fakes/easypost.py), their retries, the return parcel moved by the carrier's webhooks,
and the printable return authorisation for returns without a label."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Message
from returns import services
from returns.models import ReturnMethod, ReturnMilestoneRecord, ReturnRequest, ReturnStatus
from returns.tests.factories import make_order, make_policy, make_request
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tracking.models import Shipment, ShipmentMilestone
from tracking.tests.test_webhook_pipeline import tracker_body

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec-alpha"
RETURN_ADDRESS = {"name": "Alpha Returns", "address1": "1 Dock Road", "city": "Hamburg",
                  "postcode": "20457", "country_code": "DE"}
SHOPPER_ADDRESS = {"name": "Sam Shopper", "address1": "5 Elm Street", "city": "Berlin",
                   "postcode": "10115", "country_code": "DE"}


@pytest.fixture
def labels(personas, fake_easypost):
    """Alpha buys labels (its EasyPost API key) from USPS only, and gets tracking webhooks."""
    with tenant_scope(personas.tenant_a):
        tenant_services.credential_set(personas.tenant_a, "easypost", {
            "api_key": fake_easypost.api_key, "webhook_secret": WEBHOOK_SECRET})
    make_policy(personas.tenant_a, return_address=RETURN_ADDRESS, label_carriers=["USPS"])
    fake_easypost.rates = [("UPS", "Ground", "5.10"), ("USPS", "Priority", "7.58"),
                           ("USPS", "GroundAdvantage", "6.12")]
    return fake_easypost


def label_request(tenant, capture, **kwargs) -> ReturnRequest:
    now = timezone.now()
    order = make_order(tenant, delivered_at=now - timedelta(days=2),
                       shipping_address=SHOPPER_ADDRESS)
    with capture(execute=True):
        request = make_request(tenant, order, method=ReturnMethod.LABEL, label_available=True,
                               now=now, **kwargs)
    return fresh(tenant, request)


def fresh(tenant, request) -> ReturnRequest:
    with tenant_scope(tenant):
        return ReturnRequest.objects.get(pk=request.pk)


def test_the_cheapest_rate_of_the_allowed_carriers_is_bought_as_a_return(
        personas, labels, django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    request = label_request(tenant, django_capture_on_commit_callbacks)
    create, buy = labels.requests
    assert (create.method, create.path, buy.path) == (
        "POST", "/v2/shipments", f"/v2/shipments/{labels.bought[0]['id']}/buy")
    assert create.header("Authorization") == f"Bearer {labels.api_key}"
    sent = create.json()["shipment"]
    # EasyPost swaps a return's addresses: we send the outbound ones (to the shopper).
    assert sent["is_return"] is True
    assert sent["to_address"]["street1"] == "5 Elm Street"
    assert sent["from_address"]["street1"] == "1 Dock Road"
    assert sent["reference"] == request.number
    # UPS is cheaper, but the policy allows USPS only: its cheapest rate.
    assert labels.bought[0]["selected_rate"]["service"] == "GroundAdvantage"
    assert request.status == ReturnStatus.LABEL_READY
    assert request.label_url.endswith(".pdf")
    assert (request.label_carrier, request.label_tracking_number) == (
        "USPS", labels.bought[0]["tracking_code"])
    with tenant_scope(tenant):
        parcel = Shipment.objects.get(pk=request.return_shipment_id)
        assert ReturnMilestoneRecord.objects.filter(
            request=request, milestone="return_label_ready").count() == 1
    assert parcel.is_return and parcel.order_id is None
    assert parcel.tracking_number == request.label_tracking_number


def test_the_api_lists_the_return_parcel_as_one(
        personas, labels, django_capture_on_commit_callbacks):
    from orders.tests.api_support import client_for

    request = label_request(personas.tenant_a, django_capture_on_commit_callbacks)
    found = client_for(personas.alice_key).get(
        f"/api/v1/shipments/?tracking_number={request.label_tracking_number}").json()["results"]
    assert [(s["is_return"], s["order"], s["carrier"]) for s in found] == [(True, None, "USPS")]


def test_the_dashboard_shows_the_return_parcel_as_one(
        personas, labels, client, django_capture_on_commit_callbacks):
    request = label_request(personas.tenant_a, django_capture_on_commit_callbacks)
    client.force_login(personas.alice)
    listed = client.get(f"/shipments/?tracking_number={request.label_tracking_number}")
    assert "Return parcel" in listed.content.decode()
    detail = client.get(f"/shipments/{request.return_shipment_id}/").content.decode()
    assert "A return's parcel on its way back to you" in detail
    page = client.get(f"/returns/{request.pk}/").content.decode()
    assert f"Label: USPS {request.label_tracking_number}" in page


def test_an_easypost_error_keeps_the_request_and_the_label_is_tried_again(
        personas, labels, client, django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    labels.fail_next(500, {"error": {"code": "INTERNAL_SERVER_ERROR", "message": "Oops",
                                     "errors": []}})
    request = label_request(tenant, django_capture_on_commit_callbacks)
    assert request.status == ReturnStatus.APPROVED
    assert request.label_attempts == 1 and "500" in request.label_error
    assert request.label_retry_at is not None
    page = client.get(f"/s/alpha/returns/{request.public_token}/")
    assert page.status_code == 200
    assert "did not answer yet. We keep trying" in page.content.decode()
    with tenant_scope(tenant):
        assert services.return_labels_due(tenant) == []  # not before its time
        due = services.return_labels_due(tenant, now=request.label_retry_at)
        assert due == [request.pk]
        assert services.return_label_buy(tenant, request.pk) is False  # not its turn yet
        assert services.return_label_buy(tenant, request.pk, now=request.label_retry_at) is True
    request = fresh(tenant, request)
    assert request.status == ReturnStatus.LABEL_READY and request.label_retry_at is None
    assert len(labels.bought) == 1


def test_a_timeout_is_retried_and_a_label_bought_unheard_is_not_bought_twice(
        personas, labels, django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    labels.lose_next_buy_answer = 3.0  # past the client's timeout (1 s)
    request = label_request(tenant, django_capture_on_commit_callbacks)
    assert request.status == ReturnStatus.APPROVED
    assert "timed out" in request.label_error.lower() or "timeout" in request.label_error.lower()
    assert request.label_provider_id == labels.bought[0]["id"]
    with tenant_scope(tenant):
        assert services.return_label_buy(tenant, request.pk, now=request.label_retry_at) is True
    request = fresh(tenant, request)
    assert request.status == ReturnStatus.LABEL_READY
    assert len(labels.bought) == 1  # the retry found the label EasyPost had bought
    assert request.label_tracking_number == labels.bought[0]["tracking_code"]


def test_after_the_last_try_the_shopper_is_given_the_address_instead(
        personas, labels, client, django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    labels.fail_next(503, {"error": {"code": "SERVICE.UNAVAILABLE", "message": "Try later",
                                     "errors": []}}, times=services.MAX_LABEL_ATTEMPTS)
    request = label_request(tenant, django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        for day in range(1, services.MAX_LABEL_ATTEMPTS):
            later = timezone.now() + timedelta(days=day)
            assert services.return_label_buy(tenant, request.pk, now=later) is False
    request = fresh(tenant, request)
    assert request.label_attempts == services.MAX_LABEL_ATTEMPTS
    assert request.label_retry_at is None and request.status == ReturnStatus.APPROVED
    with tenant_scope(tenant):
        assert services.return_labels_due(tenant, now=timezone.now() + timedelta(days=30)) == []
    body = client.get(f"/s/alpha/returns/{request.public_token}/").content.decode()
    assert "We could not get a label from the carrier" in body
    assert "1 Dock Road" in body
    assert f"/s/alpha/returns/{request.public_token}/authorization/" in body


def test_a_label_whose_task_never_ran_is_bought_by_the_sweep(personas, labels):
    """The broker was down when the request was made: the label's turn falls due after its
    lease, and the sweep's task buys it."""
    tenant = personas.tenant_a
    order = make_order(tenant, delivered_at=timezone.now() - timedelta(days=2),
                       shipping_address=SHOPPER_ADDRESS)
    request = make_request(tenant, order, method=ReturnMethod.LABEL, label_available=True,
                           now=timezone.now())  # its on-commit task is never run
    request = fresh(tenant, request)
    assert labels.requests == [] and request.label_retry_at is not None
    with tenant_scope(tenant):
        assert services.return_labels_due(tenant) == []
        later = request.label_retry_at + timedelta(seconds=1)
        assert services.return_labels_due(tenant, now=later) == [request.pk]
        assert services.return_label_buy(tenant, request.pk, now=later) is True
    assert fresh(tenant, request).status == ReturnStatus.LABEL_READY


def test_a_turn_already_taken_calls_easypost_no_more(
        personas, labels, django_capture_on_commit_callbacks):
    """The same turn delivered twice (the on-commit task and a redelivered message): only the
    first calls EasyPost."""
    tenant = personas.tenant_a
    labels.fail_next(503, {"error": {"code": "SERVICE.UNAVAILABLE", "message": "Try later",
                                     "errors": []}})
    with django_capture_on_commit_callbacks() as queued:
        order = make_order(tenant, delivered_at=timezone.now() - timedelta(days=2),
                           shipping_address=SHOPPER_ADDRESS)
        request = make_request(tenant, order, method=ReturnMethod.LABEL, label_available=True,
                               now=timezone.now())
    claim = fresh(tenant, request).label_retry_at
    with tenant_scope(tenant):
        assert services.return_label_buy(tenant, request.pk, claim=claim) is False  # the 503
        calls = len(labels.requests)
        assert services.return_label_buy(tenant, request.pk, claim=claim) is False
    assert len(labels.requests) == calls == 1
    assert fresh(tenant, request).label_attempts == 1
    assert queued  # the on-commit task was queued with that turn


def test_a_request_easypost_refuses_is_not_tried_again(
        personas, labels, client, django_capture_on_commit_callbacks):
    """A bad address (422) will be as bad in an hour: the shopper gets the address at once."""
    tenant = personas.tenant_a
    labels.fail_next(422, {"error": {"code": "ADDRESS.VERIFY.FAILURE", "message": "Bad address",
                                     "errors": []}})
    request = label_request(tenant, django_capture_on_commit_callbacks)
    assert (request.label_attempts, request.label_retry_at) == (1, None)
    assert "422" in request.label_error and "Bad address" in request.label_error
    body = client.get(f"/s/alpha/returns/{request.public_token}/").content.decode()
    assert "We could not get a label from the carrier" in body and "1 Dock Road" in body
    assert len(labels.requests) == 1


def test_the_return_parcels_scans_move_the_return_to_in_transit_then_received(
        personas, labels, client, django_capture_on_commit_callbacks):
    tenant = personas.tenant_a
    request = label_request(tenant, django_capture_on_commit_callbacks)
    number = request.label_tracking_number

    def scan(details, event_id):
        body = tracker_body(number, details, event_id=event_id)
        from tracking.carriers.signatures import easypost_signature

        with django_capture_on_commit_callbacks(execute=True):
            response = client.generic("POST", "/webhooks/easypost/alpha/", body,
                                      content_type="application/json",
                                      HTTP_X_HMAC_SIGNATURE=easypost_signature(body, WEBHOOK_SECRET))
        assert response.status_code == 202

    now = timezone.now()
    scan([("in_transit", (now - timedelta(hours=3)).isoformat())], "evt_r1")
    assert fresh(tenant, request).status == ReturnStatus.IN_TRANSIT
    scan([("in_transit", (now - timedelta(hours=3)).isoformat()),
          ("delivered", (now - timedelta(hours=1)).isoformat())], "evt_r2")
    request = fresh(tenant, request)
    assert request.status == ReturnStatus.RECEIVED
    # Received when the carrier delivered it (the refund's due day counts from there).
    assert abs(request.received_at - (now - timedelta(hours=1))) < timedelta(seconds=1)
    with tenant_scope(tenant):
        parcel_milestones = ShipmentMilestone.objects.filter(shipment_id=request.return_shipment_id)
        assert {m.kind for m in parcel_milestones} == {ShipmentMilestone.RETURN_KIND}
        assert all(m.announced_at for m in parcel_milestones)
        # No delivery message about the return parcel: only the return's own.
        assert not Message.objects.filter(shipment_id=request.return_shipment_id).exists()
        assert list(ReturnMilestoneRecord.objects.filter(request=request).order_by("pk")
                    .values_list("milestone", flat=True)) == [
            "return_requested", "return_approved", "return_label_ready", "return_received"]


def test_without_an_api_key_no_label_is_offered(personas, fake_easypost):
    tenant = personas.tenant_a
    make_policy(tenant, return_address=RETURN_ADDRESS)
    with tenant_scope(tenant):
        assert services.return_label_api_key(tenant) == ""
    with pytest.raises(services.ReturnRefused) as refused:
        make_request(tenant, make_order(tenant), method=ReturnMethod.LABEL)
    assert refused.value.code == "label_not_available"
    assert fake_easypost.requests == []


def test_the_return_authorization_is_a_pdf_for_the_token_and_the_stores_members(
        personas, client, django_assert_max_num_queries):
    tenant = personas.tenant_a
    make_policy(tenant, return_address=RETURN_ADDRESS)
    request = make_request(tenant, make_order(tenant))
    url = f"/s/alpha/returns/{request.public_token}/authorization/"
    with django_assert_max_num_queries(9):  # 8 measured
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Cache-Control"] == "private, no-store"
    # Another store's slug, a wrong token: nothing.
    assert client.get(f"/s/beta/returns/{request.public_token}/authorization/").status_code == 404
    assert client.get("/s/alpha/returns/not-a-token/authorization/").status_code == 404
    dashboard = f"/returns/{request.pk}/authorization/"
    assert client.get(dashboard).status_code == 302  # to the login page
    client.force_login(personas.carol)  # Beta's owner
    assert client.get(dashboard).status_code == 404
    client.force_login(personas.alice)
    member = client.get(dashboard)
    assert member.status_code == 200 and member.content.startswith(b"%PDF-")


def test_a_kept_item_has_no_return_authorization(personas, client):
    tenant = personas.tenant_a
    make_policy(tenant, return_address=RETURN_ADDRESS)
    request = make_request(tenant, make_order(tenant))
    with tenant_scope(tenant):
        ReturnRequest.objects.filter(pk=request.pk).update(method=ReturnMethod.NONE)
    assert client.get(f"/s/alpha/returns/{request.public_token}/authorization/").status_code == 404
