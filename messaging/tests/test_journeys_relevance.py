"""message_relevance: just before sending, is the message still true and still wanted?"""

from __future__ import annotations

import pytest

from messaging.journeys import message_relevance, messages_plan
from messaging.models import Message, Suppression
from orders.models import Order
from tenants.context import tenant_scope
from tenants.tests.factories import in_scope

from .journeys_support import T0, make_customer, make_order, make_rule, make_shipment, without_default_journey

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(personas):
    without_default_journey(personas.tenant_a, personas.tenant_b)
    return personas.tenant_a


def planned(store, milestone: str, *, shipment=None, order=None) -> Message:
    with in_scope(store):
        [message] = messages_plan(store, milestone=milestone, shipment=shipment, order=order,
                                  occurred_at=T0, now=T0)
    return message


def moved(store, shipment, **fields) -> None:
    with tenant_scope(store):
        for name, value in fields.items():
            setattr(shipment, name, value)
        shipment.save()


def test_a_message_whose_shipment_has_not_moved_on_is_still_relevant(store):
    make_rule(store, "out_for_delivery", "sms")
    parcel = make_shipment(store, make_order(store, make_customer(store)), status="out_for_delivery")

    with tenant_scope(store):
        assert message_relevance(planned(store, "out_for_delivery", shipment=parcel)) is None


def test_out_for_delivery_after_delivered_is_suppressed(store):
    make_rule(store, "out_for_delivery", "sms")
    parcel = make_shipment(store, make_order(store, make_customer(store)), status="out_for_delivery")
    message = planned(store, "out_for_delivery", shipment=parcel)

    moved(store, parcel, status="delivered")

    with tenant_scope(store):
        assert message_relevance(message) == "The shipment is already delivered, past “Out for delivery”."


def test_out_for_delivery_after_it_went_to_a_pickup_point_is_suppressed(store):
    make_rule(store, "out_for_delivery")
    parcel = make_shipment(store, make_order(store, make_customer(store)), status="out_for_delivery")
    message = planned(store, "out_for_delivery", shipment=parcel)

    moved(store, parcel, status="available_for_pickup")

    with tenant_scope(store):
        assert "not “Out for delivery”" in message_relevance(message)


def test_a_delay_apology_after_delivery_is_suppressed(store):
    make_rule(store, "delayed", "sms")
    parcel = make_shipment(store, make_order(store, make_customer(store)), delayed=True)
    message = planned(store, "delayed", shipment=parcel)
    with tenant_scope(store):
        assert message_relevance(message) is None

    moved(store, parcel, status="delivered", delayed=False)

    with tenant_scope(store):
        assert message_relevance(message) == (
            "The shipment is already delivered: no need to say it is delayed.")


def test_a_delay_apology_is_suppressed_once_the_shipment_is_no_longer_late(store):
    make_rule(store, "delayed")
    parcel = make_shipment(store, make_order(store, make_customer(store)), delayed=True)
    message = planned(store, "delayed", shipment=parcel)

    moved(store, parcel, delayed=False)

    with tenant_scope(store):
        assert message_relevance(message) == "The shipment is no longer late."


def test_an_order_confirmation_for_a_cancelled_order_is_suppressed(store):
    make_rule(store, "order_confirmed")
    order = make_order(store, make_customer(store))
    message = planned(store, "order_confirmed", order=order)

    with tenant_scope(store):
        Order.objects.filter(pk=order.pk).update(
            fulfillment_status=Order.FulfillmentStatus.CANCELLED)

    with tenant_scope(store):
        assert message_relevance(message) == "The order was cancelled."


def test_a_stop_after_planning_suppresses_the_next_sms(store):
    make_rule(store, "delivered", "sms")
    parcel = make_shipment(store, make_order(store, make_customer(store)), status="delivered")
    message = planned(store, "delivered", shipment=parcel)

    with tenant_scope(store):
        Suppression.objects.create(tenant=store, channel="sms", address=message.recipient,
                                   reason=Suppression.Reason.SMS_STOP, source="twilio")

    with tenant_scope(store):
        assert message_relevance(message) == "+4915112345678 is on the suppression list (Replied STOP)."


def test_withdrawn_consent_after_planning_suppresses(store):
    make_rule(store, "shipped", "sms")
    shopper = make_customer(store)
    message = planned(store, "shipped", shipment=make_shipment(store, make_order(store, shopper)))

    with tenant_scope(store):
        shopper.transactional_sms_consent = False
        shopper.save()

    with tenant_scope(store):
        assert message_relevance(message) == "The shopper has not consented to transactional SMS."


def test_a_rule_turned_off_after_planning_suppresses_its_messages(store):
    rule = make_rule(store, "shipped")
    message = planned(store, "shipped", shipment=make_shipment(
        store, make_order(store, make_customer(store))))

    with tenant_scope(store):
        rule.enabled = False
        rule.save()

    with tenant_scope(store):
        assert message_relevance(message) == ("The journey rule “shipped by email” was turned off "
                                              "after this message was planned.")


def test_an_order_in_two_parcels_gets_one_review_request(store):
    make_rule(store, "review_request", delay_minutes=60)
    order = make_order(store, make_customer(store, marketing_email_consent=True))
    first = planned(store, "delivered", shipment=make_shipment(store, order, status="delivered"))
    second = planned(store, "delivered", shipment=make_shipment(store, order, status="delivered"))
    with tenant_scope(store):
        assert message_relevance(first) is None

    with tenant_scope(store):
        Message.objects.filter(pk=first.pk).update(status=Message.Status.SENT)

    with tenant_scope(store):
        assert message_relevance(second) == "A “Review request” for this order was already sent."
