"""The default journey: installed at sign-up, by the command for older stores, and never
twice."""

from __future__ import annotations

from datetime import time
from io import StringIO

import pytest
from django.core.management import call_command

from messaging.journeys import DEFAULT_RULES, default_journey_install, messages_plan
from messaging.models import Journey, JourneyRule, Template
from tenants.context import tenant_scope

from .journeys_support import T0, make_customer, make_order, make_shipment

pytestmark = pytest.mark.django_db


def rules_of(tenant) -> list[tuple]:
    with tenant_scope(tenant):
        return [(r.trigger, r.channel, r.delay_minutes, r.quiet_hours_start, r.template.key)
                for r in JourneyRule.objects.filter(journey__is_default=True)
                .select_related("template").order_by("position")]


def test_a_new_store_gets_the_default_journey_at_sign_up(personas):
    rules = rules_of(personas.tenant_a)

    assert [(trigger, channel) for trigger, channel, *_ in rules] == [
        ("order_confirmed", "email"), ("shipped", "email"),
        ("out_for_delivery", "email"), ("out_for_delivery", "sms"),
        ("delivered", "email"), ("delivered", "sms"),
        ("delayed", "email"), ("delayed", "sms"),
        ("exception", "email"), ("available_for_pickup", "email"),
        ("review_request", "email"),
        # every step of a return, by e-mail and (with consent) by SMS
        ("return_requested", "email"), ("return_requested", "sms"),
        ("return_approved", "email"), ("return_approved", "sms"),
        ("return_rejected", "email"), ("return_rejected", "sms"),
        ("return_label_ready", "email"), ("return_label_ready", "sms"),
        ("return_received", "email"), ("return_received", "sms"),
        ("refund_issued", "email"), ("refund_issued", "sms"),
        ("refund_delayed", "email"), ("refund_delayed", "sms"),
    ]
    assert all(key == f"{trigger}-{channel}"
               for trigger, channel, _, _, key in rules)


def test_default_sms_waits_out_the_night_and_the_review_request_comes_three_days_later(personas):
    rules = {(trigger, channel): (delay, quiet) for trigger, channel, delay, quiet, _ in
             rules_of(personas.tenant_a)}

    assert rules["delivered", "sms"] == (0, time(21, 0))
    assert rules["delivered", "email"] == (0, None)
    assert rules["review_request", "email"] == (3 * 24 * 60, time(21, 0))


def test_each_default_rule_uses_a_template_of_its_own_channel(personas):
    with tenant_scope(personas.tenant_a):
        mismatched = [r.name for r in JourneyRule.objects.select_related("template")
                      if r.template.channel != r.channel]
    assert mismatched == []


def test_installing_again_changes_nothing_and_keeps_the_retailers_edits(personas):
    store = personas.tenant_a
    with tenant_scope(store):
        JourneyRule.objects.filter(trigger="delayed", channel="sms").update(enabled=False)
        before = (Journey.objects.count(), JourneyRule.objects.count(), Template.objects.count())

    with tenant_scope(store):
        journey = default_journey_install(store)
        default_journey_install(store)

    with tenant_scope(store):
        assert (Journey.objects.count(), JourneyRule.objects.count(),
                Template.objects.count()) == before
        assert journey.is_default
        assert not JourneyRule.objects.get(trigger="delayed", channel="sms").enabled


def test_the_command_installs_for_stores_that_predate_messaging_and_is_idempotent(personas):
    store = personas.tenant_a
    with tenant_scope(store):
        Journey.objects.filter(is_default=True).delete()

    first, again = StringIO(), StringIO()
    call_command("install_default_journeys", stdout=first)
    call_command("install_default_journeys", "--tenant", "alpha", stdout=again)

    assert "alpha: installed" in first.getvalue()
    assert "beta: already installed" in first.getvalue()
    assert "alpha: already installed" in again.getvalue()
    assert len(rules_of(store)) == len(DEFAULT_RULES)


def test_the_default_journey_texts_only_shoppers_who_agreed_to_sms(personas):
    store = personas.tenant_a
    agreed = make_shipment(store, make_order(store, make_customer(store)))
    silent = make_shipment(store, make_order(store, make_customer(
        store, transactional_sms_consent=False)))

    with tenant_scope(store):
        texted = messages_plan(store, milestone="delivered", shipment=agreed, occurred_at=T0, now=T0)
        not_texted = messages_plan(store, milestone="delivered", shipment=silent, occurred_at=T0,
                                   now=T0)

    assert [(m.milestone, m.channel, m.status) for m in texted] == [
        ("delivered", "email", "scheduled"), ("delivered", "sms", "scheduled"),
        ("review_request", "email", "suppressed")]
    assert [(m.channel, m.status) for m in not_texted][1] == ("sms", "suppressed")
