"""messages_plan: which rules a milestone sets off, when each message is due, and why a
shopper is not told (a `suppressed` row with a reason) or not meant to be (no row)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messaging.journeys import messages_plan
from messaging.models import Message, MessagePreference, Suppression
from tenants.context import tenant_scope

from .journeys_support import (
    T0,
    make_customer,
    make_order,
    make_product,
    make_rule,
    make_shipment,
    messages_of,
    without_default_journey,
)

pytestmark = pytest.mark.django_db
SCHEDULED, SUPPRESSED = Message.Status.SCHEDULED, Message.Status.SUPPRESSED


def plan(tenant, milestone: str, *, order=None, shipment=None, occurred_at=T0, now=None):
    with tenant_scope(tenant):
        return messages_plan(tenant, milestone=milestone, order=order, shipment=shipment,
                             occurred_at=occurred_at, now=now or occurred_at)


@pytest.fixture
def store(personas):
    without_default_journey(personas.tenant_a, personas.tenant_b)
    return personas.tenant_a


@pytest.fixture
def parcel(store):
    return make_shipment(store, make_order(store, make_customer(store)))


# --- which rules, and when ---------------------------------------------------------------

def test_a_milestone_plans_one_scheduled_message_per_matching_rule(store, parcel):
    email = make_rule(store, "shipped", "email")
    sms = make_rule(store, "shipped", "sms")
    make_rule(store, "delivered", "email")

    planned = plan(store, "shipped", shipment=parcel)

    assert [(m.rule_id, m.channel, m.status, m.due_at) for m in planned] == [
        (email.pk, "email", SCHEDULED, T0), (sms.pk, "sms", SCHEDULED, T0)]
    assert planned[0].recipient == parcel.order.customer.email.lower()
    assert planned[1].recipient == "+4915112345678"
    assert planned[0].dedup_key == f"rule:{email.pk}:shipment:{parcel.pk}:shipped"
    assert planned[0].order_id == parcel.order_id and planned[0].customer_id is not None


def test_an_order_milestone_is_keyed_by_the_order(store):
    rule = make_rule(store, "order_confirmed")
    order = make_order(store, make_customer(store))

    [message] = plan(store, "order_confirmed", order=order)

    assert message.dedup_key == f"rule:{rule.pk}:order:{order.pk}:order_confirmed"
    assert message.shipment_id is None


def test_a_delay_postpones_the_due_time(store, parcel):
    make_rule(store, "out_for_delivery", delay_minutes=90)

    [message] = plan(store, "out_for_delivery", shipment=parcel)

    assert message.due_at == T0 + timedelta(minutes=90)


def test_the_review_request_is_due_three_days_after_delivery(store, parcel):
    with tenant_scope(store):
        parcel.order.customer.marketing_email_consent = True
        parcel.order.customer.save()
    review = make_rule(store, "review_request", delay_minutes=3 * 24 * 60)

    planned = plan(store, "delivered", shipment=parcel)

    assert [(m.rule_id, m.milestone, m.status, m.due_at) for m in planned] == [
        (review.pk, "review_request", SCHEDULED, T0 + timedelta(days=3))]
    assert planned[0].dedup_key.endswith(":review_request")


def test_after_delivery_rules_are_not_set_off_by_other_milestones(store, parcel):
    make_rule(store, "review_request", delay_minutes=3 * 24 * 60)

    assert plan(store, "out_for_delivery", shipment=parcel) == []


def test_a_milestone_announced_late_is_due_now_not_in_the_past(store, parcel):
    make_rule(store, "shipped")
    later = T0 + timedelta(hours=5)

    [message] = plan(store, "shipped", shipment=parcel, now=later)

    assert message.due_at == later


def test_the_same_milestone_planned_twice_creates_one_message_per_rule(store, parcel):
    make_rule(store, "delivered", "email")
    make_rule(store, "delivered", "sms")

    first = plan(store, "delivered", shipment=parcel)
    again = plan(store, "delivered", shipment=parcel, now=T0 + timedelta(hours=1))

    assert [m.pk for m in again] == [m.pk for m in first]
    assert len(messages_of(store)) == 2


def test_disabled_rules_and_disabled_journeys_plan_nothing(store, parcel):
    make_rule(store, "shipped", enabled=False)
    other = make_rule(store, "delivered")
    with tenant_scope(store):
        other.journey.enabled = False
        other.journey.save()

    assert plan(store, "shipped", shipment=parcel) == []
    assert plan(store, "delivered", shipment=parcel) == []


def test_a_milestone_of_one_store_never_plans_a_message_in_another(personas, store):
    a, b = personas.tenant_a, personas.tenant_b
    make_rule(a, "shipped")
    make_rule(b, "shipped")
    parcel_a = make_shipment(a, make_order(a, make_customer(a)))

    plan(a, "shipped", shipment=parcel_a)

    assert len(messages_of(a)) == 1
    assert messages_of(b) == []


def test_it_refuses_to_plan_for_another_stores_shipment(personas, store):
    parcel_b = make_shipment(personas.tenant_b, make_order(personas.tenant_b))

    with pytest.raises(ValueError, match="not tenant"):
        plan(personas.tenant_a, "shipped", shipment=parcel_b)


# --- conditions: the rule is not for this order, so no row --------------------------------

def test_first_time_and_repeat_customer_rules_each_match_their_shoppers(store):
    first = make_rule(store, "shipped", conditions={"customer": "first_time"})
    repeat = make_rule(store, "shipped", "sms", conditions={"customer": "repeat"})
    shopper = make_customer(store)
    first_order = make_order(store, shopper, placed_at=T0 - timedelta(days=30))
    second_order = make_order(store, shopper)

    on_first = plan(store, "shipped", shipment=make_shipment(store, first_order))
    on_second = plan(store, "shipped", shipment=make_shipment(store, second_order))

    assert [m.rule_id for m in on_first] == [first.pk]
    assert [m.rule_id for m in on_second] == [repeat.pk]


@pytest.mark.parametrize(("conditions", "applies"), [
    ({"min_order_value": "80.00"}, True),
    ({"min_order_value": "80.01"}, False),
    ({"max_order_value": "80"}, True),
    ({"max_order_value": "79.99"}, False),
    ({"carriers": ["dhl", "UPS"]}, True),
    ({"carriers": ["UPS"]}, False),
    ({"countries": ["de", "AT"]}, True),
    ({"countries": ["FR"]}, False),
    ({"categories": ["tents"]}, True),
    ({"categories": ["Bikes"]}, False),
    ({"tags": ["2-Person"]}, True),
    ({"tags": ["4-person"]}, False),
    ({"min_order_value": "50", "countries": ["DE"], "carriers": ["DHL"]}, True),
    ({"min_order_value": "50", "countries": ["DE"], "carriers": ["UPS"]}, False),
])
def test_a_rule_applies_only_when_each_condition_holds(store, conditions, applies):
    tent = make_product(store, "Trail tent", category="Tents", tags=["2-person", "camping"])
    order = make_order(store, make_customer(store), total="80.00", country="DE", products=(tent,))
    make_rule(store, "shipped", conditions=conditions)

    planned = plan(store, "shipped", shipment=make_shipment(store, order, carrier="DHL"))

    assert len(planned) == (1 if applies else 0)


def test_a_carrier_condition_does_not_apply_to_an_order_milestone(store):
    make_rule(store, "order_confirmed", conditions={"carriers": ["DHL"]})

    assert plan(store, "order_confirmed", order=make_order(store, make_customer(store))) == []


def test_unreadable_conditions_suppress_with_the_reason(store, parcel):
    make_rule(store, "shipped", conditions={"colour": "blue"})

    [message] = plan(store, "shipped", shipment=parcel)

    assert message.status == SUPPRESSED
    assert "conditions cannot be read" in message.status_reason
    assert "colour" in message.status_reason


# --- consent, preferences, suppression, addresses: a suppressed row with the reason ----------

def test_a_shopper_without_sms_consent_gets_a_suppressed_sms(store):
    make_rule(store, "out_for_delivery", "sms")
    shopper = make_customer(store, transactional_sms_consent=False)

    [message] = plan(store, "out_for_delivery",
                     shipment=make_shipment(store, make_order(store, shopper)))

    assert message.status == SUPPRESSED
    assert message.status_reason == "The shopper has not consented to transactional SMS."


def test_a_review_request_needs_marketing_consent(store, parcel):
    make_rule(store, "review_request", delay_minutes=60)

    [message] = plan(store, "delivered", shipment=parcel)

    assert message.status == SUPPRESSED
    assert message.status_reason == "The shopper has not consented to marketing e-mail."


def test_a_marketing_consent_condition_suppresses_shoppers_without_it(store, parcel):
    make_rule(store, "shipped", conditions={"marketing_consent": True})

    [message] = plan(store, "shipped", shipment=parcel)

    assert message.status_reason == "The shopper has not consented to marketing e-mail."


def test_a_milestone_the_shopper_turned_off_is_suppressed(store, parcel):
    make_rule(store, "shipped", "email")
    make_rule(store, "shipped", "sms")
    with tenant_scope(store):
        MessagePreference.objects.create(tenant=store, customer=parcel.order.customer,
                                         milestone="shipped", channel="sms", enabled=False)

    email, sms = plan(store, "shipped", shipment=parcel)

    assert email.status == SCHEDULED
    assert sms.status == SUPPRESSED
    assert sms.status_reason == "The shopper turned off “Shipped” by SMS on the preferences page."


def test_an_address_on_the_suppression_list_is_suppressed(store, parcel):
    make_rule(store, "shipped")
    address = parcel.order.customer.email.lower()
    with tenant_scope(store):
        Suppression.objects.create(tenant=store, channel="email", address=address,
                                   reason=Suppression.Reason.HARD_BOUNCE, source="sendgrid")

    [message] = plan(store, "shipped", shipment=parcel)

    assert message.status == SUPPRESSED
    assert message.status_reason == f"{address} is on the suppression list (Hard bounce)."


def test_another_stores_suppression_does_not_count(personas, store, parcel):
    make_rule(store, "shipped")
    with tenant_scope(personas.tenant_b):
        Suppression.objects.create(tenant=personas.tenant_b, channel="email",
                                   address=parcel.order.customer.email.lower(),
                                   reason=Suppression.Reason.HARD_BOUNCE, source="sendgrid")

    [message] = plan(store, "shipped", shipment=parcel)

    assert message.status == SCHEDULED


def test_a_shopper_without_a_phone_number_gets_a_suppressed_sms(store):
    make_rule(store, "delivered", "sms")
    shopper = make_customer(store, phone="")

    [message] = plan(store, "delivered", shipment=make_shipment(store, make_order(store, shopper)))

    assert (message.status, message.recipient) == (SUPPRESSED, "")
    assert message.status_reason == "The shopper has no mobile number."


def test_a_parcel_without_a_shopper_is_suppressed_with_the_reason(store):
    make_rule(store, "shipped")

    [message] = plan(store, "shipped", shipment=make_shipment(store, order=None))

    assert message.status == SUPPRESSED
    assert message.status_reason == "No shopper is linked to this order, so there is nobody to tell."


def test_planning_costs_the_same_few_queries_however_many_rules_match(
        store, parcel, django_assert_max_num_queries):
    for channel in ("email", "sms"):
        make_rule(store, "delivered", channel)
        make_rule(store, "review_request", channel, delay_minutes=60)

    # rules, order, customer, preferences, suppressions, insert, read back
    with django_assert_max_num_queries(7):
        planned = plan(store, "delivered", shipment=parcel)

    assert len(planned) == 4
